"""Task ids and access codes, made on the engine's hot path without the library's detours."""

from __future__ import annotations

import copy
import pickle
import uuid

from engine.cases.inputs import ACCESS_CODE_ALPHABET, ACCESS_CODE_LENGTH, new_access_code
from engine.clock import TaskIdSequence


def test_task_ids_are_uuid5_of_the_case_and_their_number():
    case_id = str(uuid.uuid4())
    sequence = TaskIdSequence(case_id, start=3)
    for number in range(3, 3000):
        made, expected = sequence(), uuid.uuid5(uuid.UUID(case_id), str(number))
        assert (made, str(made), hash(made), made.version, made.variant) == (
            expected,
            str(expected),
            hash(expected),
            5,
            uuid.RFC_4122,
        )
    assert sequence.next_index == 3000
    assert pickle.loads(pickle.dumps(made)) == made == copy.deepcopy(made)
    assert {made: 1}[uuid.UUID(str(made))] == 1


def test_access_codes_use_the_whole_alphabet_and_nothing_else():
    codes = [new_access_code() for _ in range(2000)]
    assert all(len(code) == ACCESS_CODE_LENGTH and set(code) <= set(ACCESS_CODE_ALPHABET) for code in codes)
    assert set("".join(codes)) == set(ACCESS_CODE_ALPHABET) and len(set(codes)) == len(codes)
