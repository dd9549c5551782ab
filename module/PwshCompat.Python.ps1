# Hosts CPython in this PowerShell process through pythonnet's Python.Runtime.
# Dot-sourced by the generated modules. Python starts once per process, whatever the number of
# runspaces or re-imports; each call then goes through [PwshCompat.Host.CommandBridge]
# (src/PwshCompat.Host, built by scripts/setup into module/bin/).
#
# Where libpython comes from, first match wins:
#   1. $env:PYTHONNET_PYDLL (pythonnet's own variable), with $env:PWSHCOMPAT_PYTHON naming the
#      interpreter whose site-packages to use (optional);
#   2. module/bin/python.json, written by scripts/setup from the Python that has the dependencies;
#   3. discovery: $env:PWSHCOMPAT_PYTHON, then python3 on PATH, then /usr/bin/python3; the first
#      that can import requests and msal is asked where its shared libpython is.
# Python.Runtime.dll: $env:PWSHCOMPAT_PYTHON_RUNTIME, else module/bin/Python.Runtime.dll.

# $PSScriptRoot of a dot-sourced file is its own folder: module/, whichever module dot-sources it.
$script:PwshCompatModuleDir = $PSScriptRoot
$script:PwshCompatRoot = Split-Path -Parent $script:PwshCompatModuleDir

function Get-PwshCompatPythonInfo {
    $probe = @'
import json, os, site, sys, sysconfig
import requests, msal
libdir, name = sysconfig.get_config_var("LIBDIR") or "", sysconfig.get_config_var("LDLIBRARY") or ""
cands = [os.path.join(libdir, name), os.path.join(libdir, "libpython%d.%d.so.1.0" % sys.version_info[:2])]
dll = next((c for c in cands if c.endswith((".so", ".so.1.0", ".dylib")) and os.path.exists(c)), "")
paths = [p for p in site.getsitepackages() + [site.getusersitepackages()] if os.path.isdir(p)]
print(json.dumps({"python": sys.executable, "pythonDll": dll, "sitePackages": paths}))
'@
    if ($env:PYTHONNET_PYDLL) {
        $info = @{ pythonDll = $env:PYTHONNET_PYDLL; sitePackages = @() }
        if ($env:PWSHCOMPAT_PYTHON) {
            $found = & $env:PWSHCOMPAT_PYTHON -c $probe 2>$null | ConvertFrom-Json -AsHashtable
            if ($found) { $info.sitePackages = $found.sitePackages }
        }
        return $info
    }
    $recorded = Join-Path $script:PwshCompatModuleDir 'bin/python.json'
    if (Test-Path -LiteralPath $recorded) {
        return [System.IO.File]::ReadAllText($recorded) | ConvertFrom-Json -AsHashtable
    }
    $candidates = @($env:PWSHCOMPAT_PYTHON, (Get-Command python3 -CommandType Application -ErrorAction Ignore |
        Select-Object -First 1 -ExpandProperty Source), '/usr/bin/python3') | Where-Object { $_ }
    foreach ($candidate in $candidates) {
        $found = & $candidate -c $probe 2>$null | ConvertFrom-Json -AsHashtable
        if ($found -and $found.pythonDll) { return $found }
    }
    return $null
}

function Initialize-PwshCompatPython {
    # Loads Python.Runtime and our host assembly once per process (Add-Type is process-wide), then
    # starts Python once; later imports, in any runspace, find it running and return at once.
    if ('PwshCompat.Host.CommandBridge' -as [type]) {
        if ([PwshCompat.Host.CommandBridge]::IsInitialized) { return }
    } else {
        $bin = Join-Path $script:PwshCompatModuleDir 'bin'
        $runtimeDll = if ($env:PWSHCOMPAT_PYTHON_RUNTIME) { $env:PWSHCOMPAT_PYTHON_RUNTIME } else { Join-Path $bin 'Python.Runtime.dll' }
        $hostDll = Join-Path $bin 'PwshCompat.Host.dll'
        foreach ($dll in $runtimeDll, $hostDll) {
            if (-not (Test-Path -LiteralPath $dll)) {
                throw [System.IO.FileNotFoundException]::new(
                    "pwshcompat cannot start: '$dll' is missing. Run scripts/setup from the pwshcompat repository (it fetches Python.Runtime.dll from NuGet pythonnet 3.2.1 and builds PwshCompat.Host.dll), or set PWSHCOMPAT_PYTHON_RUNTIME to the path of Python.Runtime.dll.", $dll)
            }
        }
        if (-not ('Python.Runtime.PythonEngine' -as [type])) { Add-Type -LiteralPath $runtimeDll }
        Add-Type -LiteralPath $hostDll
    }
    $info = Get-PwshCompatPythonInfo
    if (-not $info -or -not $info.pythonDll -or -not (Test-Path -LiteralPath $info.pythonDll)) {
        throw [System.IO.FileNotFoundException]::new(
            'pwshcompat cannot start: no shared libpython (Python 3.11 or later with the packages requests and msal) was found. Run scripts/setup (on Debian it installs python3-requests, python3-msal and libpython3.11), or set PYTHONNET_PYDLL to the path of libpython3.X.so and PWSHCOMPAT_PYTHON to its python executable.')
    }
    [string[]]$paths = @($script:PwshCompatRoot) + @($info.sitePackages)
    [PwshCompat.Host.CommandBridge]::Initialize($info.pythonDll, $paths)
}
