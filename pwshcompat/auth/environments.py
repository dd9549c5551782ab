"""Graph environments (national clouds and custom ones), as Get-MgEnvironment lists them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Environment:
    name: str
    azure_ad_endpoint: str
    graph_endpoint: str
    type: str = "User-defined"


BUILT_IN = {
    e.name.lower(): e
    for e in (
        Environment("Global", "https://login.microsoftonline.com", "https://graph.microsoft.com", "Built-in"),
        Environment("China", "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn", "Built-in"),
        Environment("USGov", "https://login.microsoftonline.us", "https://graph.microsoft.us", "Built-in"),
        Environment("USGovDoD", "https://login.microsoftonline.us", "https://dod-graph.microsoft.us", "Built-in"),
    )
}
_custom: dict[str, Environment] = {}


def add(env: Environment) -> Environment:
    _custom[env.name.lower()] = env
    return env


def find(name: str) -> Environment | None:
    return _custom.get(name.lower()) or BUILT_IN.get(name.lower())
