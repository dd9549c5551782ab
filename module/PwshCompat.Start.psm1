# Starts Python as early as an import allows. The manifests list this tiny module first in
# NestedModules, which PowerShell imports before it parses the module's own, much larger files:
# Python then starts about 60 ms sooner than from the root module's Initialize-PwshCompatPython
# call, which finds it already starting (bench/FINDINGS.md section 11).
# It exports nothing (the child scope below keeps the helper function to itself) and says nothing:
# whatever goes wrong here is reported by the root module's own call, which tries again.
& {
    try {
        . ([System.IO.Path]::Combine($PSScriptRoot, 'PwshCompat.Python.ps1'))
        Initialize-PwshCompatPython
    } catch {
        # Reported by the root module (see above).
    }
}
