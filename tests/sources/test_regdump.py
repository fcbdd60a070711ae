"""Registry dumps: REG QUERY text (UTF-16/UTF-8) and regedit .reg exports into one shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from nps_trace_analyzer.sources.regdump import (
    AUTHSRV_PARAMETERS_KEY,
    AZUREMFA_KEY,
    RegValue,
    authsrv_parameters,
    azuremfa_values,
    find_key,
    get_value,
    normalise_key,
    parse_reg_export,
    parse_reg_query,
    read_registry_file,
)
from nps_trace_analyzer.sources.text_decode import TextReadStats
from nps_trace_analyzer.synth.textfiles import write_reg_export, write_reg_query

DATA = Path(__file__).resolve().parents[1] / "data" / "text" / "registry"
AUTHZ = r"C:\Program Files\Microsoft\AzureMfa\Extensions\MfaNpsAuthzExt.dll"
AUTHN = r"C:\Program Files\Microsoft\AzureMfa\Extensions\MfaNpsAuthnExt.dll"


def _read(name: str) -> tuple[dict[str, dict[str, RegValue]], TextReadStats]:
    stats = TextReadStats()
    return read_registry_file(DATA / name, stats), stats


def test_reg_query_utf16() -> None:
    dump, stats = _read("BeforeRegAdd_AzureMFA.txt")
    assert stats.encoding == "utf-16-le"
    assert list(dump) == [AZUREMFA_KEY]
    values = azuremfa_values(dump)
    assert values is not None
    assert len(values) == 10
    assert values["AZURE_MFA_HOSTNAME"] == RegValue("REG_SZ", "strongauthenticationservice.auth.microsoft.com")
    assert (
        values["CLIENT_CERT_IDENTIFIER"].value == "CN=3f4b2c1d-5e6f-4a7b-8c9d-0e1f2a3b4c5d, OU=Microsoft NPS Extension"
    )
    assert values["LDAP_ALTERNATE_LOGINID_ATTRIBUTE"] == RegValue("REG_SZ", "")
    assert get_value(values, "verbose_log") == RegValue("REG_SZ", "FALSE")
    assert (stats.records_read, stats.lines_skipped, stats.warnings) == (10, 0, [])


def test_reg_query_multi_sz_dword_expand() -> None:
    dump, _ = _read("BeforeRegAdd_AuthSrv.txt")
    values = authsrv_parameters(dump)
    assert values is not None
    assert values["AuthorizationDLLs"] == RegValue("REG_MULTI_SZ", (AUTHZ,))
    assert values["ExtensionDLLs"] == RegValue("REG_MULTI_SZ", (AUTHN,))
    assert values["ServiceDllUnloadOnStop"] == RegValue("REG_DWORD", 1)
    assert values["ServiceDll"] == RegValue("REG_EXPAND_SZ", r"%SystemRoot%\System32\iassvcs.dll")
    emptied, _ = _read("AfterRegAdd_AuthSrv_emptied.txt")
    assert authsrv_parameters(emptied) == {
        "ServiceDll": RegValue("REG_EXPAND_SZ", r"%SystemRoot%\System32\iassvcs.dll"),
        "AuthorizationDLLs": RegValue("REG_MULTI_SZ", ()),
        "ExtensionDLLs": RegValue("REG_MULTI_SZ", ()),
    }


def test_reg_query_utf8_without_bom() -> None:
    dump, stats = _read("NPS01_BeforeRegAdd_AzureMFA_2020.txt")
    assert stats.encoding == "utf-8"
    values = azuremfa_values(dump)
    assert values is not None
    assert values["REQUIRE_USER_MATCH"].value == "FALSE"
    assert "AZURE_MFA_RESOURCE_HOSTNAME" not in values


def test_reg_query_dirty() -> None:
    dump, stats = _read("dirty_AzureMFA.txt")
    values = azuremfa_values(dump)
    assert values is not None
    assert set(values) == {"AZURE_MFA_HOSTNAME", "AZURE_MFA_RESOURCE_HOSTNAME", "STS_URL", "CLIENT_ID", "BROKEN_DWORD"}
    assert values["BROKEN_DWORD"] == RegValue("REG_DWORD", "0xZZ")  # kept as text, with a warning
    assert stats.lines_skipped == 3  # garbage line, value before any key, line that is not reg.exe output
    text = "\n".join(stats.warnings)
    assert "line 1: before any key" in text
    assert "line 2: before any key" in text
    assert "not in reg.exe's format" in text
    assert "reg.exe reported 'ERROR: The system was unable to find the specified registry key or value.'" in text


def test_reg_export_hand_written() -> None:
    dump, stats = _read("AuthSrv.reg")
    assert stats.encoding == "utf-16-le"
    assert stats.records_skipped == 0
    assert len(dump) == 3
    service = find_key(dump, r"Services\AuthSrv")
    assert service is not None
    assert service["Type"] == RegValue("REG_DWORD", 0x20)
    assert service["ImagePath"] == RegValue("REG_EXPAND_SZ", r"%SystemRoot%\System32\svchost.exe -k netsvcs")
    assert service["DisplayName"].value == r"@%SystemRoot%\system32\ias.dll,-1"
    assert service["Description"].value == 'Network Policy Server "IAS" service'
    params = authsrv_parameters(dump)
    assert params is not None
    assert params["AuthorizationDLLs"] == RegValue("REG_MULTI_SZ", (AUTHZ,))
    assert params["ExtensionDLLs"] == RegValue("REG_MULTI_SZ", (AUTHN,))
    assert params["Blob"] == RegValue("REG_BINARY", b"\x01\x02\xff")
    assert params["Big"] == RegValue("REG_QWORD", 1 << 32)
    assert params[""] == RegValue("REG_SZ", "")
    assert find_key(dump, r"AuthSrv\Performance") == {"Library": RegValue("REG_SZ", "iasperf.dll")}


def test_reg_export_dirty_and_regedit4() -> None:
    text = "\n".join(
        [
            "REGEDIT4",
            '"Orphan"="x"',
            r"[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\AzureMfa]",
            '"CLIENT_ID"="981f26a1-7f43-403b-a875-f8b09b8cd720"',
            '"Ansi"=hex(2):43,3a,5c,00',
            '"Bad"=hex(7):zz',
            '"Unterminated"="abc',
            '"Gone"=-',
            "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Old]",
            "junk line",
        ]
    )
    stats = TextReadStats()
    dump = parse_reg_export(text, stats)
    values = azuremfa_values(dump)
    assert values == {
        "CLIENT_ID": RegValue("REG_SZ", "981f26a1-7f43-403b-a875-f8b09b8cd720"),
        "Ansi": RegValue("REG_EXPAND_SZ", "C:\\"),
    }
    assert stats.records_skipped == 2  # Bad, Unterminated
    assert stats.lines_skipped == 1 + 1  # Orphan before any key, junk after the deleted key
    text_warnings = "\n".join(stats.warnings)
    assert "value deletion 'Gone' ignored" in text_warnings
    assert "key deletion" in text_warnings


def test_find_key_is_case_insensitive_and_whole_components() -> None:
    dump = {
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\AzureMfaBackup": {"A": RegValue("REG_SZ", "1")},
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\AZUREMFA": {"B": RegValue("REG_SZ", "2")},
    }
    assert azuremfa_values(dump) == {"B": RegValue("REG_SZ", "2")}
    assert find_key(dump, "software\\microsoft\\azuremfabackup") == {"A": RegValue("REG_SZ", "1")}
    assert find_key(dump, "Nothing") is None
    assert normalise_key("HKLM\\SYSTEM\\x\\") == "HKEY_LOCAL_MACHINE\\SYSTEM\\x"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_writer_round_trip_query(tmp_path: Path, encoding: str) -> None:
    values = {
        "AZURE_MFA_HOSTNAME": ("REG_SZ", "strongauthenticationservice.auth.microsoft.com"),
        "IP_WHITELIST": ("REG_SZ", ""),
        "Has Spaces": ("REG_SZ", "a  b"),
        "N": ("REG_DWORD", 7),
        "Q": ("REG_QWORD", 2**40),
        "M": ("REG_MULTI_SZ", ["one", "two"]),
        "B": ("REG_BINARY", b"\x00\xab"),
    }
    path = write_reg_query(tmp_path / "AfterRegAdd_AzureMFA.txt", AZUREMFA_KEY, values, encoding=encoding)
    assert path.read_bytes().startswith(b"\xff\xfe") is (encoding == "utf-16")
    dump = read_registry_file(path)
    back = azuremfa_values(dump)
    assert back == {
        "AZURE_MFA_HOSTNAME": RegValue("REG_SZ", "strongauthenticationservice.auth.microsoft.com"),
        "IP_WHITELIST": RegValue("REG_SZ", ""),
        "Has Spaces": RegValue("REG_SZ", "a  b"),
        "N": RegValue("REG_DWORD", 7),
        "Q": RegValue("REG_QWORD", 2**40),
        "M": RegValue("REG_MULTI_SZ", ("one", "two")),
        "B": RegValue("REG_BINARY", b"\x00\xab"),
    }


def test_writer_round_trip_export(tmp_path: Path) -> None:
    params = {
        "AuthorizationDLLs": ("REG_MULTI_SZ", [AUTHZ]),
        "ExtensionDLLs": ("REG_MULTI_SZ", [AUTHN, r"C:\Other\Ext.dll"]),
        "ServiceDll": ("REG_EXPAND_SZ", r"%SystemRoot%\System32\iassvcs.dll"),
        "Quoted": ("REG_SZ", 'say "hi" \\ bye'),
        "N": ("REG_DWORD", 0xFFFFFFFF),
        "Q": ("REG_QWORD", 3),
        "B": ("REG_BINARY", bytes(range(60))),
        "@": ("REG_SZ", "default"),
    }
    path = write_reg_export(tmp_path / "AuthSrv.reg", {AUTHSRV_PARAMETERS_KEY: params})
    stats = TextReadStats()
    back = authsrv_parameters(read_registry_file(path, stats))
    assert stats.warnings == []
    assert back == {
        "AuthorizationDLLs": RegValue("REG_MULTI_SZ", (AUTHZ,)),
        "ExtensionDLLs": RegValue("REG_MULTI_SZ", (AUTHN, r"C:\Other\Ext.dll")),
        "ServiceDll": RegValue("REG_EXPAND_SZ", r"%SystemRoot%\System32\iassvcs.dll"),
        "Quoted": RegValue("REG_SZ", 'say "hi" \\ bye'),
        "N": RegValue("REG_DWORD", 0xFFFFFFFF),
        "Q": RegValue("REG_QWORD", 3),
        "B": RegValue("REG_BINARY", bytes(range(60))),
        "": RegValue("REG_SZ", "default"),
    }


def test_unreadable_and_empty() -> None:
    stats = TextReadStats()
    assert read_registry_file(DATA / "absent.txt", stats) == {}
    assert stats.error
    assert parse_reg_query("") == {}
