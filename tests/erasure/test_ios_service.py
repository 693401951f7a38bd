"""Which EraseDevice an iPhone gets (agent/erasure/ios_service), with a stand-in link: the
version rule, the fallback on a refusal only, and what the certificate claims about options."""

from __future__ import annotations

import asyncio

import pytest

from agent.erasure.ios import IosEraseOptions
from agent.erasure.ios_service import SentErase, ios_version, sanitization, send_erase, services_for
from agent.errors import EraseRequestRefused, ErasureRefused, LinkDisconnected, LinkTimeout


class StandInLink:
    """Answers each EraseDevice as told: None (accepted) or the error to raise."""

    def __init__(self, mcinstall: Exception | None = None, backup: Exception | None = None) -> None:
        self.answers = {"mcinstall": mcinstall, "mobilebackup2": backup}
        self.sent: list[tuple[str, dict[str, bool]]] = []

    async def erase_device(self, *, preserve_data_plan: bool, disallow_proximity_setup: bool) -> None:
        self.sent.append(("mcinstall", {"PreserveDataPlan": preserve_data_plan,
                                        "DisallowProximitySetup": disallow_proximity_setup}))
        if (error := self.answers["mcinstall"]) is not None:
            raise error

    async def erase_device_by_backup(self) -> None:
        self.sent.append(("mobilebackup2", {}))
        if (error := self.answers["mobilebackup2"]) is not None:
            raise error


def send(link: StandInLink, version: str | None, **options: bool) -> SentErase:
    return asyncio.run(send_erase(link, IosEraseOptions(**options), version))


@pytest.mark.parametrize(("text", "version"), [
    ("10.3.3", (10, 3, 3)), ("17.5", (17, 5)), ("9", (9,)), (" 16.6.1 ", (16, 6, 1)),
    (None, None), ("", None), ("iOS 17", None), ("17.5 beta", None), ("1.2.3.4", None)])
def test_product_version_is_read_as_numbers_or_not_at_all(text: str | None, version: tuple[int, ...] | None) -> None:
    assert ios_version(text) == version


@pytest.mark.parametrize(("version", "services"), [
    ("17.5", ("mcinstall", "mobilebackup2")), ("11.0", ("mcinstall", "mobilebackup2")),
    ("10.3.3", ("mobilebackup2",)), ("9.0", ("mobilebackup2",)), (None, ("mcinstall", "mobilebackup2")),
    ("garbage\x1b[31m", ("mcinstall", "mobilebackup2"))])
def test_ios_11_on_tries_mcinstall_first_and_ios_9_and_10_go_to_mobilebackup2(
        version: str | None, services: tuple[str, ...]) -> None:
    assert services_for(version).services == services


def test_before_ios_9_no_erase_is_offered() -> None:
    with pytest.raises(ErasureRefused, match="before iOS 9"):
        services_for("8.4.1")


def test_an_accepted_mcinstall_erase_is_the_only_request_and_carries_the_options() -> None:
    link = StandInLink()
    sent = send(link, "17.5", preserve_data_plan=True)
    assert sent.service == "mcinstall" and sent.refusals == ()
    assert link.sent == [("mcinstall", {"PreserveDataPlan": True, "DisallowProximitySetup": False})]


def test_a_refused_mcinstall_erase_falls_back_to_mobilebackup2_naming_the_refusal() -> None:
    link = StandInLink(mcinstall=EraseRequestRefused("U: MCInstall EraseDevice refused: CommandFormatError"))
    sent = send(link, "12.0")
    assert [s for s, _ in link.sent] == ["mcinstall", "mobilebackup2"]
    assert sent.service == "mobilebackup2" and "CommandFormatError" in sent.why and len(sent.refusals) == 1


@pytest.mark.parametrize("gone", [LinkDisconnected("U: gone"), LinkTimeout("U: silent")])
def test_a_phone_gone_or_silent_after_mcinstall_is_never_sent_a_second_erase(gone: Exception) -> None:
    link = StandInLink(mcinstall=gone)
    assert send(link, "17.5").service == "mcinstall"
    assert [s for s, _ in link.sent] == ["mcinstall"]


def test_an_ios_10_phone_is_never_sent_mcinstall() -> None:
    link = StandInLink()
    assert send(link, "10.3.3", disallow_proximity_setup=True).service == "mobilebackup2"
    assert [s for s, _ in link.sent] == ["mobilebackup2"]


def test_both_refused_raises_with_both_refusals() -> None:
    link = StandInLink(mcinstall=EraseRequestRefused("mc no"), backup=EraseRequestRefused("mb2 no"))
    with pytest.raises(EraseRequestRefused, match="mc no; mb2 no"):
        send(link, "17.5")


def test_other_link_errors_are_not_taken_for_a_refusal() -> None:
    from agent.errors import NotPaired

    link = StandInLink(mcinstall=NotPaired("U: forgot us"))
    with pytest.raises(NotPaired):
        send(link, "17.5")
    assert [s for s, _ in link.sent] == ["mcinstall"]


def test_the_certificate_records_mcinstall_options_as_applied() -> None:
    sent = SentErase("mcinstall", "iOS 17.5: MCInstall first")
    block = sanitization(sent, IosEraseOptions(True, False), None).to_json()
    assert block["options"] == {"PreserveDataPlan": True, "DisallowProximitySetup": False}
    assert block["command"] == "lockdown com.apple.mobile.MCInstall EraseDevice"
    assert "by mcinstall EraseDevice (iOS 17.5" in block["technique"]


def test_the_certificate_never_claims_options_mobilebackup2_did_not_apply() -> None:
    sent = SentErase("mobilebackup2", "iOS 10.3.3: ...")
    block = sanitization(sent, IosEraseOptions(True, True), "forced: Find My unknown").to_json()
    options = block["options"]
    assert options["PreserveDataPlan"] is None and options["DisallowProximitySetup"] is None
    assert "requested: PreserveDataPlan=true, DisallowProximitySetup=true" in options["options_not_applied"]
    assert block["forced"] is True and "mobilebackup2" in block["command"]


def test_a_long_reason_keeps_the_technique_within_the_schema() -> None:
    block = sanitization(SentErase("mobilebackup2", "x" * 2000), IosEraseOptions(), None).to_json()
    assert 0 < len(block["technique"]) <= 512
