# Runs the binder-parity cases (JSON file $args[0]) through PowerShell's own binder on the
# generated function, in this one process, and writes one JSON array of results to $args[1].
# The module's test hook ($PwshCompatBindingProbe) reports each bound record instead of calling Python.
param([string] $CasesPath, [string] $ResultsPath)
$global:ErrorActionPreference = 'Continue'
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1

function global:ConvertTo-ParityValue($Value) {
    # The comparable JSON form (tests/pwsh/parity_cases.py normalise() does the same in Python).
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Management.Automation.SwitchParameter]) { return $Value.IsPresent }
    if ($Value -is [PwshCompat.Host.IRawModel]) {
        # Not public members of the models (the original's have none): read as the bridge reads them.
        $internal = [Reflection.BindingFlags]'Instance, NonPublic'
        $raw = $Value.GetType().GetProperty('RawValue', $internal).GetValue($Value)
        if ($null -eq $raw -and $Value -is [PwshCompat.Host.GraphModel]) {
            $raw = [PwshCompat.Host.GraphModel].GetMethod('ToDictionary', $internal).Invoke($Value, @())
        }
        return (ConvertTo-ParityValue $raw)
    }
    if ($Value -is [System.Management.Automation.PSObject] -and $Value.psobject.BaseObject -is [System.Management.Automation.PSCustomObject]) {
        $out = [ordered]@{}
        foreach ($p in $Value.psobject.Properties | Sort-Object { $_.Name.ToLowerInvariant() }) {
            $out[$p.Name.ToLowerInvariant()] = ConvertTo-ParityValue $p.Value
        }
        return $out
    }
    if ($Value -is [string] -or $Value -is [bool] -or $Value -is [int] -or $Value -is [long] -or $Value -is [double]) { return $Value }
    if ($Value -is [timespan]) { return [ordered]@{ ticks = $Value.Ticks } }
    if ($Value -is [enum]) { return $Value.ToString() }
    if ($Value -is [uri]) { return $Value.OriginalString }
    if ($Value -is [System.Collections.IDictionary]) {
        $out = [ordered]@{}
        foreach ($k in $Value.Keys | Sort-Object { "$_".ToLowerInvariant() }) { $out["$k".ToLowerInvariant()] = ConvertTo-ParityValue $Value[$k] }
        return $out
    }
    if ($Value -is [System.Collections.IEnumerable]) { return , @(foreach ($i in $Value) { ConvertTo-ParityValue $i }) }
    return "$Value"
}

$probe = {
    param($set, $bound)
    $b = [ordered]@{}
    foreach ($k in $bound.Keys) { $b[$k] = ConvertTo-ParityValue $bound[$k] }
    [pscustomobject]@{ ParityRecord = $true; set = $set; bound = $b }
}
foreach ($module in Get-Module Microsoft.Graph.Beta.CloudCommunications, Microsoft.Graph.CloudCommunications, Microsoft.Graph.Authentication) {
    & $module { param($p) $script:PwshCompatBindingProbe = $p } $probe
}

function New-ParityValue($Spec) {
    switch ($Spec.t) {
        'str' { return [string]$Spec.v }
        'int' { $n = [long]$Spec.v; if ([math]::Abs($n) -le [int]::MaxValue) { return [int]$n }; return $n }  # as a literal would be
        'bool' { return [bool]$Spec.v }
        'null' { return $null }
        'num' { return [double]$Spec.v }
        'arr' { return , @(foreach ($x in $Spec.v) { New-ParityValue $x }) }
        'noarg' { return $null }
        'ts' { return [timespan]::FromTicks([long]$Spec.v) }
        'ht' { $h = @{}; foreach ($k in $Spec.v.Keys) { $h[$k] = New-ParityValue $Spec.v[$k] }; return $h }
        'pso' {
            $o = [ordered]@{}; foreach ($k in $Spec.v.Keys) { $o[$k] = New-ParityValue $Spec.v[$k] }
            return [pscustomobject]$o
        }
    }
    throw "unknown value kind $($Spec.t)"
}

$cases = [System.IO.File]::ReadAllText($CasesPath) | ConvertFrom-Json -AsHashtable
$results = [System.Collections.Generic.List[object]]::new()
foreach ($case in $cases) {
    $a = @(foreach ($arg in $case.args) { , (New-ParityValue $arg[1]) })
    $c = if ($case.command) { $case.command } else { 'Set-MgBetaCommunicationPresenceUserPreferredPresence' }
    $text = '& $c'
    if ($case.splat) {
        $s = [ordered]@{}
        for ($i = 0; $i -lt $case.args.Count; $i++) { $s[$case.args[$i][0]] = $a[$i] }
        $text += ' @s'
    } else {
        for ($i = 0; $i -lt $case.args.Count; $i++) {
            $name = $case.args[$i][0]; $kind = $case.args[$i][1].t; $colon = $case.args[$i][2]
            $text += if ($null -eq $name) { " `$a[$i]" } elseif ($kind -eq 'noarg') { " -$name" } elseif ($colon) { " -${name}:`$a[$i]" } else { " -$name `$a[$i]" }
        }
    }
    if ($null -ne $case.pipeline) {
        $p = @(foreach ($v in $case.pipeline) { , (New-ParityValue $v) })
        $text = '$p | ' + $text
    }
    $result = [ordered]@{ terminating = $null; records = [System.Collections.Generic.List[object]]::new() }
    try {
        foreach ($item in (& ([scriptblock]::Create($text)) 2>&1)) {
            if ($item -is [System.Management.Automation.ErrorRecord]) {
                $result.records.Add([ordered]@{ error = $item.FullyQualifiedErrorId.Split(',')[0] })
            } elseif ($item.ParityRecord) {
                $result.records.Add([ordered]@{ set = $item.set; bound = $item.bound })
            }
        }
    } catch {
        $result.terminating = $_.FullyQualifiedErrorId.Split(',')[0]
        $result.records.Clear()
    }
    $results.Add($result)
}
[System.IO.File]::WriteAllText($ResultsPath, (ConvertTo-Json -InputObject $results -Depth 12 -Compress))
