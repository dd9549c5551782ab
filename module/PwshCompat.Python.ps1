# Hosts CPython in this PowerShell process through pythonnet's Python.Runtime.
# Dot-sourced by the generated modules. Python starts once per process, whatever the number of
# runspaces or re-imports; each call then goes through [PwshCompat.Host.CommandBridge]
# (src/PwshCompat.Host, built by scripts/setup into module/bin/).
#
# Which libpython: PYTHONNET_PYDLL (with PWSHCOMPAT_PYTHON for its setup), else
# module/bin/python.paths (python.json) from scripts/setup, else discovery (PWSHCOMPAT_PYTHON,
# python3 on PATH, /usr/bin/python3); see src/PwshCompat.Host/PythonLocator.cs. Python starts with
# the interpreter setup recorded there (executable, home, standard library, site-packages), never
# with whatever python3 comes first on PATH.
# Python.Runtime.dll: $env:PWSHCOMPAT_PYTHON_RUNTIME, else module/bin/net<major>.0/ (precompiled for this
# .NET) when scripts/setup built it, else module/bin/ (net8.0).
#
# Only .NET calls here: cmdlets such as Join-Path or Add-Type would load whole PowerShell modules
# and cost a cold start more than everything else together.

function Initialize-PwshCompatPython {
    # $PSScriptRoot of a dot-sourced file is its own folder: module/, whichever module loads it.
    $moduleDir = $PSScriptRoot
    $bin = [System.IO.Path]::Combine($moduleDir, 'bin')
    # ReadyToRun code serves only the .NET major version that compiled it: scripts/setup puts a build
    # precompiled for this machine's pwsh in bin/net<major>.0/ (bench/FINDINGS.md section 14).
    $own = [System.IO.Path]::Combine($bin, "net$([System.Environment]::Version.Major).0")
    if ([System.IO.File]::Exists([System.IO.Path]::Combine($own, 'PwshCompat.Host.dll')) -and
        [System.IO.File]::Exists([System.IO.Path]::Combine($own, 'Python.Runtime.dll'))) {
        $bin = $own
    }
    $runtimeDll = if ($env:PWSHCOMPAT_PYTHON_RUNTIME) { $env:PWSHCOMPAT_PYTHON_RUNTIME } else { [System.IO.Path]::Combine($bin, 'Python.Runtime.dll') }
    $hostDll = [System.IO.Path]::Combine($bin, 'PwshCompat.Host.dll')
    foreach ($dll in $runtimeDll, $hostDll) {
        if (-not [System.IO.File]::Exists($dll)) {
            throw [System.IO.FileNotFoundException]::new(
                "pwshcompat cannot start: '$dll' is missing. Run scripts/setup from the pwshcompat repository (it fetches Python.Runtime.dll from NuGet pythonnet 3.2.1 and builds PwshCompat.Host.dll), or set PWSHCOMPAT_PYTHON_RUNTIME to the path of Python.Runtime.dll.", $dll)
        }
    }
    # LoadFrom is process-wide and returns the already loaded assembly on later imports. Another
    # build of it loaded first (each installed module folder carries a copy) cannot load beside it:
    # the one loaded serves.
    foreach ($dll in $runtimeDll, $hostDll) {
        try {
            $null = [System.Reflection.Assembly]::LoadFrom($dll)
        } catch [System.IO.FileLoadException] {
        }
    }
    if ([PwshCompat.Host.CommandBridge]::IsInitialized) { return }
    $problem = $null
    $python = [PwshCompat.Host.PythonLocator]::Find($moduleDir, [ref]$problem)
    if ($problem) {
        throw [System.IO.FileNotFoundException]::new("pwshcompat cannot start: $problem")
    }
    if (-not $python) {
        throw [System.IO.FileNotFoundException]::new(
            'pwshcompat cannot start: no Python with the pwshcompat package was found (Python 3.11 or later, with its shared libpython, and the packages pwshcompat, requests and msal). Install it with "pip install pwshcompat" (or the pwshcompat wheel) into the Python you want PowerShell to use, then set PWSHCOMPAT_PYTHON to that python executable (or put it first on PATH as python3); "pwshcompat install-module" also installs these modules for it. From a source checkout, run scripts/setup.')
    }
    if (-not $python.PythonDll -or -not [System.IO.File]::Exists($python.PythonDll)) {
        throw [System.IO.FileNotFoundException]::new(
            'pwshcompat cannot start: no shared libpython (Python 3.11 or later with the packages requests and msal) was found. Run scripts/setup (on Debian it installs python3-requests, python3-msal and libpython3.11), or set PYTHONNET_PYDLL to the path of libpython3.X.so and PWSHCOMPAT_PYTHON to its python executable.')
    }
    [string[]]$paths = @([System.IO.Path]::GetDirectoryName($moduleDir)) + $python.SitePackages
    [PwshCompat.Host.CommandBridge]::Initialize($python, $paths)
}
