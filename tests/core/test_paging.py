"""The list cmdlets' paging, as the original's ListCmdlet does it (msgraph-sdk-powershell
tools/Custom/ListCmdlet.cs): one page unless -All; -PageSize becomes $top; -Top beyond 999 or with
-All/-PageSize is a limit the cmdlet pages up to, asking the last page only for what is missing;
-CountVariable asks for $count=true and receives @odata.count. Against the emulator's collection."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import pwshcompat
from pwshcompat.errors import TerminatingError

from ._support import emu, graph  # noqa: F401 - fixtures

CMD = "Get-MgBetaCommunicationPresence"
USERS = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(1, 6)]


@pytest.fixture
def five(emu: Any) -> Any:
    for user in USERS:
        emu.add_client_session(user)
    emu.requests.clear()
    return emu


def _lists(emu: Any) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(r.path).query) for r in emu.requests if urlsplit(r.path).path == "/beta/communications/presences"]


def _ids(output: Any) -> list[str]:
    items = output if isinstance(output, list) else [output] if output is not None else []
    return [i.Id for i in items]


def test_one_page_without_all(five: Any) -> None:
    assert len(_ids(pwshcompat.invoke(CMD, PageSize=2))) == 2
    assert _lists(five) == [{"$top": ["2"]}]  # the next link is not followed


def test_all_follows_next_links_to_the_end(five: Any) -> None:
    assert sorted(_ids(pwshcompat.invoke(CMD, All=True, PageSize=2))) == USERS
    queries = _lists(five)
    assert len(queries) == 3 and queries[0] == {"$top": ["2"]}
    assert all("$skiptoken" in q or "$skip" in q for q in queries[1:])


def test_top_with_page_size_pages_up_to_the_limit_and_asks_only_for_what_is_missing(five: Any) -> None:
    assert len(_ids(pwshcompat.invoke(CMD, Top=3, PageSize=2))) == 3
    queries = _lists(five)
    assert [q["$top"] for q in queries] == [["2"], ["1"]]


def test_top_alone_is_one_request(five: Any) -> None:
    assert len(_ids(pwshcompat.invoke(CMD, Top=2))) == 2
    assert [q["$top"] for q in _lists(five)] == [["2"]]


def test_top_over_999_is_not_sent_and_pages_until_the_end(five: Any) -> None:
    assert sorted(_ids(pwshcompat.invoke(CMD, Top=1000))) == USERS
    assert "$top" not in _lists(five)[0]


def test_count_variable_asks_for_the_count_and_receives_it(five: Any) -> None:
    pwshcompat.invoke(CMD, PageSize=2, CountVariable="pagingCount")
    assert _lists(five)[0]["$count"] == ["true"]
    assert pwshcompat.variables["pagingCount"] == 5


@pytest.mark.parametrize("size", [0, 1000])
def test_an_invalid_page_size_is_refused_before_any_request(five: Any, size: int) -> None:
    with pytest.raises(TerminatingError) as info:
        pwshcompat.invoke(CMD, PageSize=size)
    assert info.value.record.message == (f"Invalid page size specified `{size}`. PageSize must be between 1 and 999 "
                                         "inclusive.")
    assert info.value.category.value == "InvalidArgument" and five.requests == []


def test_filter_search_and_select_are_sent_as_the_original_writes_them(five: Any) -> None:
    pwshcompat.invoke(CMD, Filter="availability eq 'Available'", Property=["id", "availability"],
                      ErrorAction="SilentlyContinue")
    pwshcompat.invoke(CMD, Search="displayName:ann", ErrorAction="SilentlyContinue")
    first, second = [r.path.split("?", 1)[1] for r in five.requests]
    assert first == "$filter=availability%20eq%20%27Available%27&$select=id%2Cavailability"
    assert second == "$search=%22displayName%3Aann%22"  # quoted as ListCmdlet.FormatSearchValue does
    assert "consistencylevel" not in {k.lower() for k in five.requests[1].headers}
