"""Routing people to Rasa servers: a consistent hash of the pseudonym, failover order."""

from __future__ import annotations

from collections import Counter

from bot.core.rasa_routing import RasaRing, ServerHealth

SERVERS = ["http://127.0.0.1:5005", "http://127.0.0.1:5006", "http://127.0.0.1:5007"]
PEOPLE = [f"pseudonym-{i}" for i in range(3000)]


def test_each_person_has_one_server_first_and_every_server_once() -> None:
    ring = RasaRing(SERVERS)
    for person in PEOPLE[:100]:
        order = ring.preference(person)
        assert sorted(order) == sorted(SERVERS)
        assert RasaRing(list(reversed(SERVERS))).preference(person) == order  # every worker


def test_people_are_spread_over_the_servers() -> None:
    ring = RasaRing(SERVERS)
    shares = Counter(ring.preference(person)[0] for person in PEOPLE)
    assert min(shares.values()) > len(PEOPLE) / len(SERVERS) * 0.6, shares


def test_removing_a_server_moves_only_its_people() -> None:
    before, after = RasaRing(SERVERS), RasaRing(SERVERS[:2])
    for person in PEOPLE:
        own = before.preference(person)
        if own[0] != SERVERS[2]:
            assert after.preference(person)[0] == own[0]
        else:  # they go to their next server, as on a failover
            assert after.preference(person)[0] == own[1]


def test_a_server_down_is_tried_last_until_its_time_is_over() -> None:
    now = [0.0]
    health = ServerHealth(5.0, clock=lambda: now[0])
    health.mark_down(SERVERS[0])
    assert health.order(SERVERS) == [SERVERS[1], SERVERS[2], SERVERS[0]]
    now[0] = 5.1
    assert health.order(SERVERS) == SERVERS
