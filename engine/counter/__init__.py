"""The counter queue (號碼牌): tickets drawn in the waiting room, called to counters, served,
linked to the cases they produced; the waiting and service minutes the reports read."""

from engine.counter.queue import CounterQueue, Ticket

__all__ = ["CounterQueue", "Ticket"]
