# Hosts CPython in this PowerShell process through pythonnet's Python.Runtime.
# Dot-sourced by the module; loads Python once per process, whatever the number of runspaces.
#
# Where libpython comes from, first match wins:
#   1. $env:PYTHONNET_PYDLL (pythonnet's own variable), with $env:PWSHCOMPAT_PYTHON naming the
#      interpreter whose site-packages to use (optional);
#   2. module/bin/python.json, written by scripts/setup from the Python that has the dependencies;
#   3. discovery: $env:PWSHCOMPAT_PYTHON, then python3 on PATH, then /usr/bin/python3; the first
#      that can import requests and msal is asked where its shared libpython is.
# Python.Runtime.dll: $env:PWSHCOMPAT_PYTHON_RUNTIME, else module/bin/Python.Runtime.dll.

$script:PwshCompatRoot = Split-Path -Parent $PSScriptRoot

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
    $recorded = Join-Path $PSScriptRoot 'bin/python.json'
    if (Test-Path -LiteralPath $recorded) {
        return Get-Content -Raw -LiteralPath $recorded | ConvertFrom-Json -AsHashtable
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
    # The engine is process-wide; the lock keeps two runspaces importing at once from racing.
    $lock = [System.AppDomain]::CurrentDomain
    [System.Threading.Monitor]::Enter($lock)
    try {
        if (-not ('Python.Runtime.PythonEngine' -as [type])) {
            $runtimeDll = if ($env:PWSHCOMPAT_PYTHON_RUNTIME) { $env:PWSHCOMPAT_PYTHON_RUNTIME } else { Join-Path $PSScriptRoot 'bin/Python.Runtime.dll' }
            if (-not (Test-Path -LiteralPath $runtimeDll)) {
                throw [System.IO.FileNotFoundException]::new(
                    "Python.Runtime.dll (NuGet package pythonnet 3.2.1) was not found at '$runtimeDll'. Run scripts/setup, or set PWSHCOMPAT_PYTHON_RUNTIME to its path.")
            }
            Add-Type -LiteralPath $runtimeDll
        }
        if (-not [Python.Runtime.PythonEngine]::IsInitialized) {
            $info = Get-PwshCompatPythonInfo
            if (-not $info -or -not $info.pythonDll -or -not (Test-Path -LiteralPath $info.pythonDll)) {
                throw [System.IO.FileNotFoundException]::new(
                    'No shared libpython (3.11 or later, with the packages requests and msal) was found. Run scripts/setup, or set PYTHONNET_PYDLL to the path of libpython3.X.so.')
            }
            [Python.Runtime.Runtime]::PythonDLL = $info.pythonDll
            [Python.Runtime.PythonEngine]::Initialize()
            $paths = @($script:PwshCompatRoot) + @($info.sitePackages)
            $gil = [Python.Runtime.Py]::GIL()
            try {
                $sysPath = [Python.Runtime.Py]::Import('sys').GetAttr('path')
                [array]::Reverse($paths)
                foreach ($p in $paths) { $null = $sysPath.InvokeMethod('insert', [Python.Runtime.PyInt]::new(0), [Python.Runtime.PyString]::new($p)) }
            } finally { $gil.Dispose() }
            # Release the GIL so any thread (runspace) can take it per call.
            $null = [Python.Runtime.PythonEngine]::BeginAllowThreads()
        }
    } finally {
        [System.Threading.Monitor]::Exit($lock)
    }
    $gil = [Python.Runtime.Py]::GIL()
    try {
        $script:PwshCompatBridge = [Python.Runtime.Py]::Import('pwshcompat.bridge')
        $script:PwshCompatTimeSpan = [Python.Runtime.Py]::Import('pwshcompat.conversion').GetAttr('TimeSpan')
    } finally { $gil.Dispose() }
}

function ConvertTo-PwshCompatPy {
    # Turns a bound PowerShell value into a plain Python value. Call with the GIL held.
    # Every return uses the unary comma: a PyObject is enumerable and would otherwise be unrolled.
    param($Value)
    if ($null -eq $Value) { return ,[Python.Runtime.PyObject]::None }
    if ($Value -is [System.Management.Automation.PSObject]) { $Value = $Value.psobject.BaseObject }
    switch ($Value) {
        { $_ -is [string] -or $_ -is [char] } { return ,[Python.Runtime.PyString]::new([string]$_) }
        { $_ -is [bool] } { return ,[Python.Runtime.ConverterExtension]::ToPython($_) }
        { $_ -is [System.Management.Automation.SwitchParameter] } { return ,[Python.Runtime.ConverterExtension]::ToPython($_.IsPresent) }
        { $_ -is [int] -or $_ -is [long] -or $_ -is [short] -or $_ -is [byte] } { return ,[Python.Runtime.PyInt]::new([long]$_) }
        { $_ -is [double] -or $_ -is [single] -or $_ -is [decimal] } { return ,[Python.Runtime.PyFloat]::new([double]$_) }
        { $_ -is [timespan] } { return ,$script:PwshCompatTimeSpan.Invoke([Python.Runtime.PyInt]::new($_.Ticks)) }
        { $_ -is [securestring] } { return ,[Python.Runtime.PyString]::new([System.Net.NetworkCredential]::new('', $_).Password) }
        { $_ -is [System.Collections.IDictionary] } {
            $dict = [Python.Runtime.PyDict]::new()
            foreach ($key in $_.Keys) { $dict.SetItem((ConvertTo-PwshCompatPy $key), (ConvertTo-PwshCompatPy $_[$key])) }
            return ,$dict
        }
        { $_ -is [System.Management.Automation.PSCustomObject] -or $_ -is [System.Management.Automation.PSObject] } {
            $dict = [Python.Runtime.PyDict]::new()
            foreach ($p in $Value.psobject.Properties) { $dict.SetItem($p.Name, (ConvertTo-PwshCompatPy $p.Value)) }
            return ,$dict
        }
        { $_ -is [System.Collections.IEnumerable] } {
            $list = [Python.Runtime.PyList]::new()
            foreach ($item in $_) { $list.Append((ConvertTo-PwshCompatPy $item)) }
            return ,$list
        }
        default { return ,[Python.Runtime.PyString]::new($_.ToString()) }
    }
}

function Invoke-PwshCompatCommand {
    # Hands one bound invocation to Python and replays the result into PowerShell's streams.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Bound
    )
    $gil = [Python.Runtime.Py]::GIL()
    try {
        $kwargs = [Python.Runtime.PyDict]::new()
        foreach ($key in $Bound.Keys) { $kwargs.SetItem($key, (ConvertTo-PwshCompatPy $Bound[$key])) }
        $json = $script:PwshCompatBridge.InvokeMethod('invoke_json',
            [Python.Runtime.PyString]::new($Name), [Python.Runtime.PyString]::new($Cmdlet.ParameterSetName), $kwargs).ToString()
    } finally { $gil.Dispose() }
    $result = ConvertFrom-Json -InputObject $json -AsHashtable
    foreach ($v in $result.variables.GetEnumerator()) { Set-Variable -Name $v.Key -Value $v.Value -Scope Global }
    foreach ($m in $result.verbose) { $Cmdlet.WriteVerbose($m) }
    foreach ($m in $result.debug) { $Cmdlet.WriteDebug($m) }
    foreach ($m in $result.information) { $Cmdlet.WriteInformation([System.Management.Automation.HostInformationMessage]@{ Message = $m }, [string[]]@('PSHOST')) }
    foreach ($m in $result.warnings) { $Cmdlet.WriteWarning($m) }
    foreach ($e in $result.errors) { $Cmdlet.WriteError((New-PwshCompatErrorRecord $e)) }
    if ($result.terminating) { $Cmdlet.ThrowTerminatingError((New-PwshCompatErrorRecord $result.terminating)) }
    foreach ($o in $result.output) { $Cmdlet.WriteObject($o) }
}

function New-PwshCompatErrorRecord {
    param([System.Collections.IDictionary] $Record)
    $exception = [System.Exception]::new($Record.message)
    $category = [System.Management.Automation.ErrorCategory]$Record.category
    $er = [System.Management.Automation.ErrorRecord]::new($exception, $Record.error_id, $category, $Record.target)
    if ($Record.details_message) {
        $er.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($Record.details_message)
        if ($Record.recommended_action) { $er.ErrorDetails.RecommendedAction = $Record.recommended_action }
    }
    $er
}
