"""Leases in the database instead of lock files: one holder among processes of any machine, a
takeover once a holder stops renewing, at once after a clean release, and the embedded scheduler
electing its leader with one. Times here are short leases, never speed goals: the tests wait
for the takeover's cause (the old holder's lease having run out)."""

from __future__ import annotations

from sqlalchemy import select

from engine.background import EmbeddedScheduler, LeaseHolder, lease_holder
from engine.storage import Lease
from tests.timers.test_scheduler import wait_for

from .helpers import at_once


def expires_at(engine, name: str):
    with engine.db.connect() as conn:
        return conn.execute(select(Lease.expires_at).where(Lease.name == name)).scalar_one()


def test_one_holder_at_a_time_and_a_takeover_once_it_runs_out(engine):
    first = LeaseHolder(engine.db, "job", seconds=0.6)
    second = LeaseHolder(engine.db, "job", seconds=0.6)
    assert first.acquire() is True
    assert second.acquire() is False
    assert lease_holder(engine.db, "job")["holder"] == first.holder
    # The first stops renewing (a SIGKILLed process): the second gets it once it has run out, not before.
    held_until = expires_at(engine, "job")
    taken = wait_for(lambda: second.acquire(), 10)
    assert taken > 0 and lease_holder(engine.db, "job")["holder"] == second.holder
    assert lease_holder(engine.db, "job")["since"] >= held_until
    # The first, back from its pause, finds it lost and does not act.
    first._renewed_at = None
    assert first.acquire() is False


def test_the_holder_renews_before_it_runs_out_and_keeps_its_start(engine):
    holder = LeaseHolder(engine.db, "job", seconds=0.6)
    standby = LeaseHolder(engine.db, "job", seconds=0.6)
    assert holder.acquire()
    since = lease_holder(engine.db, "job")["since"]
    first_expiry = expires_at(engine, "job")
    wait_for(lambda: holder.renew_in() == 0, 5)
    assert holder.acquire()  # renewed, as the scheduler's loop does when renew_in() says so
    assert expires_at(engine, "job") > first_expiry
    assert lease_holder(engine.db, "job")["since"] == since
    assert standby.acquire() is False


def test_a_clean_release_hands_it_over_at_once(engine):
    first = LeaseHolder(engine.db, "job", seconds=3600)
    second = LeaseHolder(engine.db, "job", seconds=3600)
    assert first.acquire() and not second.acquire()
    first.release()
    assert lease_holder(engine.db, "job") is None
    second._refused_at = None  # its next look (a third of a lease later) is now
    assert second.acquire() is True


def test_racing_claimants_elect_exactly_one(engine):
    claimants = [LeaseHolder(engine.db, "job", seconds=3600) for _ in range(6)]
    assert sorted(at_once([claimant.acquire for claimant in claimants])) == [False] * 5 + [True]


def test_a_standby_scheduler_takes_over_from_a_leader_that_died(engine):
    first = EmbeddedScheduler(engine, poll_seconds=0.05, lease_seconds=0.6).start()
    second = EmbeddedScheduler(engine, poll_seconds=0.05, lease_seconds=0.6).start()
    try:
        wait_for(lambda: first.leader or second.leader, 10)
        leader, standby = (first, second) if first.leader else (second, first)
        assert not standby.leader
        # The leader's thread stops without releasing anything, as a killed process would.
        leader._stop.set()
        leader._wake.set()
        leader._thread.join(5)
        held_by = lease_holder(engine.db, "embedded-scheduler")["holder"]
        wait_for(lambda: standby.leader, 10)
        assert lease_holder(engine.db, "embedded-scheduler")["holder"] not in (held_by, None)
    finally:
        first.stop()
        second.stop()
