"""PowerShell 7.4 LTS (issue 14.7): the manifests say ``PowerShellVersion = '7.4'`` and pwsh 7.4 runs
on .NET 8, so the compiled host must target net8.0 against an API every pwsh 7.4+ has, and the
module's scripts may use only commands and types that 7.4 / .NET 8 have.

No pwsh 7.4 can be installed here (the NuGet feed this machine reaches has no PowerShell 7.4.x tool
package), so these tests read what was built and written: the host's metadata, and every command and
type literal of the module's scripts, checked against the .NET 8 reference assemblies (NuGet
Microsoft.NETCore.App.Ref 8.0.x, which building the host for net8.0 restores) and
PowerShellStandard.Library.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_pwsh

ROOT = Path(__file__).resolve().parents[2]

# pwsh: the target framework and the referenced assemblies of a .NET assembly, without loading it.
_METADATA = r"""
$stream = [System.IO.File]::OpenRead($args[0])
try {
    $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
    $md = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
    $refs = foreach ($h in $md.AssemblyReferences) {
        $r = $md.GetAssemblyReference($h)
        [ordered]@{ name = $md.GetString($r.Name); version = $r.Version.ToString() }
    }
    $framework = $null
    foreach ($h in $md.GetAssemblyDefinition().GetCustomAttributes()) {
        $ca = $md.GetCustomAttribute($h)
        $ctor = $md.GetMemberReference([System.Reflection.Metadata.MemberReferenceHandle]$ca.Constructor)
        $type = $md.GetTypeReference([System.Reflection.Metadata.TypeReferenceHandle]$ctor.Parent)
        if ($md.GetString($type.Name) -eq 'TargetFrameworkAttribute') {
            $blob = $md.GetBlobReader($ca.Value)
            $null = $blob.ReadUInt16()  # prolog
            $framework = $blob.ReadSerializedString()
        }
    }
    [ordered]@{ framework = $framework; references = @($refs) } | ConvertTo-Json -Compress -Depth 4
} finally { $stream.Dispose() }
"""

# pwsh: the commands and type literals the module's scripts use (functions they define left out).
_SCRIPT_USE = r"""
$files = Get-ChildItem -LiteralPath $args[0] -Recurse -Include *.ps1, *.psm1, *.psd1
$commands = [System.Collections.Generic.HashSet[string]]::new()
$defined = [System.Collections.Generic.HashSet[string]]::new()
$types = [System.Collections.Generic.HashSet[string]]::new()
$accelerators = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')::Get
foreach ($f in $files) {
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($f.FullName, [ref]$null, [ref]$errors)
    if ($errors) { throw "$($f.FullName): $($errors[0])" }
    foreach ($c in $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true)) {
        if ($c.GetCommandName()) { $null = $commands.Add($c.GetCommandName()) }
    }
    foreach ($d in $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true)) {
        $null = $defined.Add($d.Name)
    }
    $typeNames = $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.TypeExpressionAst] -or
                                $args[0] -is [System.Management.Automation.Language.TypeConstraintAst] }, $true)
    $queue = [System.Collections.Generic.Queue[object]]::new()
    foreach ($t in $typeNames) { $queue.Enqueue($t.TypeName) }
    while ($queue.Count) {
        $n = $queue.Dequeue()
        if ($n -is [System.Management.Automation.Language.ArrayTypeName]) { $queue.Enqueue($n.ElementType); continue }
        if ($n -is [System.Management.Automation.Language.GenericTypeName]) {
            foreach ($a in $n.GenericArguments) { $queue.Enqueue($a) }
            $open = $n.TypeName.FullName
            $null = $types.Add(($accelerators[$open].FullName ?? $open) + '`' + $n.GenericArguments.Count)
            continue
        }
        if ($n.FullName -eq 'ordered') { continue }  # [ordered]@{} is syntax, not a type
        $resolved = $n.GetReflectionType()  # accelerators and short names ([object]) to full names
        $null = $types.Add($(if ($resolved) { $resolved.FullName } else { $n.FullName }))
    }
}
[ordered]@{ commands = @($commands | Where-Object { -not $defined.Contains($_) } | Sort-Object)
            types = @($types | Sort-Object) } | ConvertTo-Json -Compress
"""

# pwsh: the full names of the public types each assembly defines or forwards.
_TYPES_DEFINED = r"""
$names = [System.Collections.Generic.HashSet[string]]::new()
foreach ($path in $args) {
    $stream = [System.IO.File]::OpenRead($path)
    try {
        $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
        if (-not $pe.HasMetadata) { continue }
        $md = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
        foreach ($h in $md.TypeDefinitions) {
            $t = $md.GetTypeDefinition($h)
            $ns = $md.GetString($t.Namespace)
            if ($ns) { $null = $names.Add("$ns.$($md.GetString($t.Name))") }
        }
        foreach ($h in $md.ExportedTypes) {
            $t = $md.GetExportedType($h)
            $null = $names.Add("$($md.GetString($t.Namespace)).$($md.GetString($t.Name))")
        }
    } finally { $stream.Dispose() }
}
@($names) | ConvertTo-Json -Compress
"""

# Commands module scripts may call: all of them are in every pwsh since 6.0 (Microsoft.PowerShell.Core
# and .Utility). A script that starts calling another command must check it exists in 7.4 first.
POWERSHELL_74_COMMANDS = {"Export-ModuleMember", "ForEach-Object", "Get-Module", "Import-Module", "Where-Object"}


def _pwsh_json(script: str, *args: str) -> object:
    done = run_pwsh(script, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def host_metadata(dll: Path) -> dict:
    """The target framework and referenced assemblies of ``dll`` (as read by pwsh's System.Reflection.Metadata)."""
    return _pwsh_json(_METADATA, str(dll))  # type: ignore[return-value]


def assert_loads_in_powershell_74(dll: Path) -> None:
    """``dll`` targets .NET 8 and references nothing newer than .NET 8 and the PowerShell 7.4 API."""
    meta = host_metadata(dll)
    assert meta["framework"] == ".NETCoreApp,Version=v8.0", meta
    for ref in meta["references"]:
        major, minor = (int(x) for x in ref["version"].split(".")[:2])
        if ref["name"] == "System.Management.Automation":
            assert (major, minor) <= (7, 4), ref  # PowerShellStandard.Library is 3.0.0.0
        elif ref["name"].startswith(("System", "Microsoft", "netstandard", "mscorlib")):
            assert major <= 8, ref
    names = {r["name"] for r in meta["references"]}
    assert "System.Management.Automation" in names and "Python.Runtime" in names


def _nuget_packages() -> Path:
    listed = subprocess.run(["dotnet", "nuget", "locals", "global-packages", "--list"], capture_output=True,
                            text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    return Path(listed.stdout.split("global-packages:", 1)[1].strip())


def test_module_host_targets_net8_and_the_powershell_standard_api() -> None:
    assert_loads_in_powershell_74(ROOT / "module/bin/PwshCompat.Host.dll")


def test_host_project_targets_net8() -> None:
    # The built file above proves it for this build; the project file keeps every other build so.
    # scripts/setup may add a build for the .NET of this machine's pwsh (PwshCompatTargetFramework,
    # into module/bin/net<major>.0/, loaded only on that .NET); the default stays net8.0.
    text = (ROOT / "src/PwshCompat.Host/PwshCompat.Host.csproj").read_text(encoding="utf-8")
    assert "<PwshCompatTargetFramework Condition=\"'$(PwshCompatTargetFramework)' == ''\">net8.0</PwshCompatTargetFramework>" in text
    assert "<TargetFramework>$(PwshCompatTargetFramework)</TargetFramework>" in text
    assert text.count("<TargetFramework") == 1
    assert 'Include="PowerShellStandard.Library"' in text


def test_module_scripts_use_only_commands_and_types_pwsh_74_has() -> None:
    used = _pwsh_json(_SCRIPT_USE, str(ROOT / "module"))
    assert isinstance(used, dict)
    assert set(used["commands"]) <= POWERSHELL_74_COMMANDS, set(used["commands"]) - POWERSHELL_74_COMMANDS
    packages = _nuget_packages()
    refs = sorted(packages.glob("microsoft.netcore.app.ref/8.0.*/ref/net8.0/*.dll"))
    standard = sorted(packages.glob("powershellstandard.library/5.1.1/lib/netstandard2.0/*.dll"))
    if not refs or not standard:
        pytest.fail(f"the .NET 8 reference pack or PowerShellStandard.Library is not in {packages}: run scripts/setup")
    known = set(_pwsh_json(_TYPES_DEFINED, *map(str, refs + standard)))  # type: ignore[arg-type]
    ours = ("PwshCompat.Host.", "Microsoft.Graph.")  # defined by the module's own compiled part
    missing = [t for t in used["types"] if not t.startswith(ours) and t not in known]
    assert not missing, f"types .NET 8 / PowerShell 7.4 do not have: {missing}"
    assert len(used["types"]) > 5  # the scan saw the scripts' types
