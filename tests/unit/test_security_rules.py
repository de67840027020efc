"""The rules behind the public surfaces' defences, without any server (issue 9)."""

from __future__ import annotations

import pytest

from bot.channels.webchat import read_body
from bot.core import buttons
from bot.core.commands import parse_command
from bot.core.messages import InboundKind, Location, clean_text
from bot.limits import MemoryLimits
from bot.logs import PrivacyFormatter, masked
from bot.staff.sign_in_limits import MAX_DELAY_SECONDS, SignInLimiter, delay_after
from bot.web.security import client_address, parse_networks
from bot.workspace.csv_exchange import neutralised, restored


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- sign-in limits ----------------------------------------------------------------------


def test_delays_start_after_the_free_attempts_and_double_up_to_a_ceiling() -> None:
    curve = [delay_after(failures, 5) for failures in range(1, 16)]
    assert curve[:4] == [0, 0, 0, 0]
    assert curve[4:10] == [2, 4, 8, 16, 32, 64]
    assert max(curve) == MAX_DELAY_SECONDS


async def test_a_colleague_at_another_address_is_never_delayed() -> None:
    clock = Clock()
    limiter = SignInLimiter(MemoryLimits(clock), free_attempts=5, address_ceiling=100)
    for _ in range(12):
        if await limiter.wait_seconds("anna", "attacker") == 0:
            await limiter.failed("anna", "attacker")
    assert await limiter.wait_seconds("anna", "attacker") > 0
    assert await limiter.wait_seconds("anna", "office") == 0
    assert await limiter.wait_seconds("marco", "attacker") == 0


async def test_waiting_out_the_delay_allows_one_more_try() -> None:
    clock = Clock()
    limiter = SignInLimiter(MemoryLimits(clock), free_attempts=2, address_ceiling=100)
    await limiter.failed("anna", "a")
    await limiter.failed("anna", "a")
    assert await limiter.wait_seconds("anna", "a") == 4  # the impatient attempt counted too
    clock.now += 5
    assert await limiter.wait_seconds("anna", "a") == 0
    await limiter.succeeded("anna", "a")
    assert await limiter.wait_seconds("anna", "a") == 0


async def test_an_address_has_a_much_higher_ceiling_of_its_own() -> None:
    clock = Clock()
    limiter = SignInLimiter(MemoryLimits(clock), free_attempts=5, address_ceiling=30)
    for number in range(30):
        await limiter.failed(f"user{number}", "sprayer")
    assert await limiter.wait_seconds("someone-else", "sprayer") > 0
    clock.now += 15 * 60
    assert await limiter.wait_seconds("someone-else", "sprayer") == 0


async def test_sliding_windows_say_how_long_to_wait() -> None:
    clock = Clock()
    limits = MemoryLimits(clock)
    assert [await limits.take("k", 3, 60) for _ in range(3)] == [0, 0, 0]
    assert await limits.take("k", 3, 60) == pytest.approx(60)
    clock.now += 30
    assert await limits.take("k", 3, 60) == pytest.approx(30)
    clock.now += 31
    assert await limits.take("k", 3, 60) == 0


# --- client addresses behind proxies ------------------------------------------------------


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    proxies = parse_networks(["10.0.0.0/8", "127.0.0.1"])
    assert client_address("127.0.0.1", "203.0.113.5", proxies) == "203.0.113.5"
    assert client_address("127.0.0.1", "203.0.113.5, 10.0.0.3", proxies) == "203.0.113.5"
    assert client_address("198.51.100.1", "203.0.113.5", proxies) == "198.51.100.1"
    assert client_address("127.0.0.1", "not-an-address", proxies) == "127.0.0.1"
    spoofed = "1.2.3.4, 203.0.113.5"  # the client wrote the first hop itself
    assert client_address("127.0.0.1", spoofed, proxies) == "203.0.113.5"


# --- typed input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "rate:99999999999999999999:5",
        "rate:1:6",
        "city:../../etc",
        "lang:xx",
        "t:weapons",
        "case:close:1:whatever",
        "x" * 65,
        "",
        None,
    ],
)
def test_forged_buttons_unpack_to_nothing(data: str | None) -> None:
    assert buttons.unpack(data) is None


def test_every_button_packs_within_telegrams_limit_and_back() -> None:
    samples = [
        buttons.AskTopic(buttons.Topic.HOUSING),
        buttons.ChooseCity("reggio-emilia"),
        buttons.ChooseLanguage("uk"),
        buttons.ConfirmHandoff(buttons.Topic.JOB),
        buttons.ConfirmHandoff(),
        buttons.ChooseBridge("en"),
        buttons.ChooseBridge(None),
        buttons.RateHelp(2**31 - 1, 5),
        buttons.CloseCase(7, "no_reply"),
    ]
    for sample in samples:
        packed = sample.pack()
        assert len(packed.encode()) <= buttons.MAX_BYTES
        assert buttons.unpack(packed) == sample
    with pytest.raises(ValueError):
        buttons.ChooseCity("a" * 64).pack()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("/start", "start"),
        ("/menu@lgnet_bot", "menu"),
        ("\u200b/start", "start"),
        ("／start", "start"),
        ('/ask_job_services{"city": "Roma"}', ""),
        ("\u202e/restart", "restart"),
    ],
)
def test_commands_are_read_once_and_intents_never(text: str, name: str) -> None:
    command = parse_command(text)
    assert command is not None and command.name == name


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"[]", InboundKind.UNREADABLE),
        (b'"hello"', InboundKind.UNREADABLE),
        (b"null", InboundKind.UNREADABLE),
        (b"{}", InboundKind.UNREADABLE),
        (b'{"text": 5}', InboundKind.UNREADABLE),
        (b"\xff\xfe", InboundKind.UNREADABLE),
        (b'{"text": "ciao"}', InboundKind.TEXT),
        (b'{"text": "/start"}', InboundKind.COMMAND),
        (b'{"button": "t:job"}', InboundKind.BUTTON),
        (b'{"location": {"latitude": NaN, "longitude": 7}}', InboundKind.BAD_LOCATION),
        (b'{"location": {"latitude": 45.07, "longitude": 7.68}}', InboundKind.LOCATION),
    ],
)
def test_web_chat_bodies_are_read_into_typed_kinds(raw: bytes, kind: InboundKind) -> None:
    assert read_body(raw)[0] == kind


def test_locations_are_points_on_earth() -> None:
    assert Location.checked(45.07, 7.68) == Location(45.07, 7.68)
    for bad in (("abc", 7), (True, 7), (float("nan"), 7), (91, 7), (45, -181), (None, 7)):
        assert Location.checked(*bad) is None


def test_text_loses_surrogates_and_control_characters() -> None:
    assert clean_text("ciao \ud800\x00 a tutti") == "ciao \ufffd a tutti"


# --- spreadsheets and logs -------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://evil")', "+39 011 123", "-12", "@SUM(A1)", "\tx", "\rx", "'quoted", "ok"],
)
def test_csv_cells_never_start_a_formula_and_round_trip(value: str) -> None:
    cell = neutralised(value)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert restored(cell) == value


def test_log_lines_mask_numbers_quotes_and_pseudonyms() -> None:
    pseudonym = "0f3a9c2e1b7d4a6c8e9f0a1b2c3d4e5f"
    line = masked(f"cannot reach 4242420017 at 45.0712345 for 'cerco casa' {pseudonym}")
    assert "4242420017" not in line and "0712345" not in line
    assert "cerco casa" not in line and "0f3a9c2e1b7d" not in line


def test_exception_messages_stay_out_of_tracebacks() -> None:
    try:
        raise KeyError("cerco casa a Roma, sono in via Garibaldi 3")
    except KeyError as error:
        text = PrivacyFormatter().formatException((KeyError, error, error.__traceback__))
    assert "Garibaldi" not in text and "KeyError" in text
