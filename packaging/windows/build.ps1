<#
.SYNOPSIS
    Build the Windows installer: dist\QwQ-Desktop-<version>-<variant>-setup.exe.

.DESCRIPTION
    From the repository root, whatever the current folder:
      1. creates build\venv-<variant> (Python 3.11+),
      2. compiles llama-cpp-python (the version pyproject.toml pins) for the variant,
      3. installs the app (pip install -e .) and Pillow,
      4. renders packaging\windows\qwq-desktop.ico from the SVG,
      5. freezes the app: python packaging\freeze.py --variant <variant> -> dist\qwq-desktop\,
      6. for cuda, makes sure NVIDIA's runtime DLLs are in it (see README.md),
      7. compiles packaging\windows\qwq-desktop.iss with Inno Setup 6.

    Needs: Python 3.11+, Visual Studio 2022 (or its Build Tools) with the C++ workload,
    Inno Setup 6.3+; for cuda also the CUDA Toolkit 12.x (CUDA_PATH set).

.EXAMPLE
    pwsh packaging\windows\build.ps1 -Variant cpu

.EXAMPLE
    pwsh packaging\windows\build.ps1 -Variant cuda -CudaArchitectures "89-real"
#>
param(
    [ValidateSet('cpu', 'cuda')]
    [string]$Variant = 'cpu',

    # CMAKE_CUDA_ARCHITECTURES. Default: native code for RTX 20, 30, 40 (75, 86, 89) and,
    # with toolkit 12.8+, RTX 50 (120); PTX only for 75, which newer GPUs JIT-compile.
    [string]$CudaArchitectures = '',

    # The Python that creates the build environment.
    [string]$Python = 'python',

    # Keep build\venv-<variant> from an earlier run (skips the llama.cpp compile).
    [switch]$ReuseVenv
)

$ErrorActionPreference = 'Stop'
$Root = (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path
Set-Location $Root

function Invoke-Native([string]$Exe, [string[]]$Arguments) {
    Write-Host "> $Exe $($Arguments -join ' ')"
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Exe failed with exit code $LASTEXITCODE" }
}

function Find-Iscc {
    $command = Get-Command ISCC.exe -ErrorAction SilentlyContinue
    if ($command) { return $command.Path }
    foreach ($base in @(${env:ProgramFiles(x86)}, $env:ProgramFiles, "$env:LOCALAPPDATA\Programs")) {
        if ($base -and (Test-Path "$base\Inno Setup 6\ISCC.exe")) { return "$base\Inno Setup 6\ISCC.exe" }
    }
    throw 'Inno Setup 6 not found (ISCC.exe): install it, e.g. winget install JRSoftware.InnoSetup'
}

# nvcc on Windows needs the MSVC environment (cl.exe on PATH) when CMake uses Ninja.
function Enter-MsvcShell {
    if (Get-Command cl.exe -ErrorAction SilentlyContinue) { return }
    $vswhere = "${env:ProgramFiles(x86)}\Microsoft Visual Studio\Installer\vswhere.exe"
    if (-not (Test-Path $vswhere)) { throw 'Visual Studio (or its Build Tools) with the C++ workload is needed' }
    $vs = & $vswhere -latest -products * -requires Microsoft.VisualStudio.Component.VC.Tools.x86.x64 -property installationPath
    if (-not $vs) { throw 'No Visual Studio with the C++ x64 tools (workload "Desktop development with C++")' }
    Import-Module "$vs\Common7\Tools\Microsoft.VisualStudio.DevShell.dll"
    Enter-VsDevShell -VsInstallPath $vs -SkipAutomaticLocation -DevCmdArguments '-arch=x64 -host_arch=x64'
}

# cudart64_*, cublas64_*, cublasLt64_*: what ggml-cuda.dll links to. PyInstaller usually
# collects them already (it finds them on PATH); if not, copy them beside ggml-cuda.dll.
function Add-CudaRuntime([string]$AppDir) {
    $ggmlCuda = Get-ChildItem $AppDir -Recurse -Filter 'ggml-cuda.dll' | Select-Object -First 1
    if (-not $ggmlCuda) { throw "no ggml-cuda.dll in ${AppDir}: llama-cpp-python was not built with CUDA" }
    foreach ($pattern in @('cudart64_*.dll', 'cublas64_*.dll', 'cublasLt64_*.dll')) {
        if (Get-ChildItem $AppDir -Recurse -Filter $pattern) { continue }
        # CUDA 12 keeps its DLLs in bin, CUDA 13 in bin\x64.
        $dll = Get-ChildItem "$env:CUDA_PATH\bin", "$env:CUDA_PATH\bin\x64" -Filter $pattern -ErrorAction SilentlyContinue |
            Select-Object -First 1
        if (-not $dll) { throw "$pattern not found in $env:CUDA_PATH\bin" }
        Write-Host "Adding $($dll.Name) to $($ggmlCuda.DirectoryName)"
        Copy-Item $dll.FullName $ggmlCuda.DirectoryName
    }
}

# --- Check the tools before the long compile ---
& $Python -c 'import sys; sys.exit(sys.version_info < (3, 11))'
if ($LASTEXITCODE -ne 0) { throw "Python 3.11 or later is needed (-Python, now '$Python')" }
$Iscc = Find-Iscc
$project = & $Python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print(p['version']); print(next(d for d in p['dependencies'] if d.startswith('llama-cpp-python')))"
if ($LASTEXITCODE -ne 0) { throw 'Could not read the version from pyproject.toml' }
$Version, $LlamaRequirement = $project

$CpuFlags = '-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON'
if ($Variant -eq 'cuda') {
    if (-not $env:CUDA_PATH -or -not (Test-Path "$env:CUDA_PATH\bin\nvcc.exe")) {
        throw 'CUDA Toolkit not found: install 12.x (it sets CUDA_PATH)'
    }
    $Nvcc = "$env:CUDA_PATH\bin\nvcc.exe"
    if (-not $CudaArchitectures) {
        $release = & $Nvcc --version | Select-String -Pattern 'release (\d+\.\d+)' | Select-Object -First 1
        $CudaArchitectures = '75;86-real;89-real'
        if ([version]$release.Matches[0].Groups[1].Value -ge [version]'12.8') { $CudaArchitectures += ';120-real' }
    }
    Enter-MsvcShell
}

# --- 1-3: the build environment ---
$Venv = "$Root\build\venv-$Variant"
$Py = "$Venv\Scripts\python.exe"
$env:PATH = "$Venv\Scripts;$env:PATH"
if ($ReuseVenv -and (Test-Path $Py)) {
    Write-Host "Reusing $Venv"
} else {
    if (Test-Path $Venv) { Remove-Item -Recurse -Force $Venv }
    Invoke-Native $Python @('-m', 'venv', $Venv)
    Invoke-Native $Py @('-m', 'pip', 'install', '--upgrade', 'pip')
    if ($Variant -eq 'cuda') {
        # Ninja instead of the Visual Studio generator: no CUDA "VS integration" needed.
        Invoke-Native $Py @('-m', 'pip', 'install', 'ninja')
        $env:CMAKE_GENERATOR = 'Ninja'
        $env:CMAKE_ARGS = "$CpuFlags -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=$CudaArchitectures"
    } else {
        $env:CMAKE_ARGS = $CpuFlags
    }
    $env:CMAKE_BUILD_PARALLEL_LEVEL = $env:NUMBER_OF_PROCESSORS
    Write-Host "CMAKE_ARGS=$env:CMAKE_ARGS"
    # --no-cache-dir: pip's wheel cache does not know CMAKE_ARGS; a cached CPU wheel
    # would otherwise be reused for a CUDA build.
    Invoke-Native $Py @('-m', 'pip', 'install', '--no-cache-dir', '--no-binary', 'llama-cpp-python', $LlamaRequirement)
    Invoke-Native $Py @('-m', 'pip', 'install', '-e', '.', 'pillow')
}
$LlamaLib = "$Venv\Lib\site-packages\llama_cpp\lib"
if ($Variant -eq 'cuda' -and -not (Test-Path "$LlamaLib\ggml-cuda.dll")) {
    throw "$LlamaLib has no ggml-cuda.dll: llama-cpp-python was built without CUDA"
}

# --- 4-5: icon, freeze ---
Invoke-Native $Py @('packaging\windows\make_icons.py', '--ico', 'packaging\windows\qwq-desktop.ico')
Invoke-Native $Py @('packaging\freeze.py', '--variant', $Variant)
$AppDir = "$Root\dist\qwq-desktop"
if (-not (Test-Path "$AppDir\qwq-desktop.exe")) { throw "freeze.py made no $AppDir\qwq-desktop.exe" }
$Backend = (Get-Content "$Root\dist\BACKEND" -Raw).Trim()
if ($Backend -ne $Variant) { throw "dist\BACKEND says '$Backend', not '$Variant'" }

# --- 6-7: CUDA runtime, installer ---
if ($Variant -eq 'cuda') { Add-CudaRuntime $AppDir }
Invoke-Native $Iscc @("/DAppVersion=$Version", "/DVariant=$Variant", 'packaging\windows\qwq-desktop.iss')
$Setup = "$Root\dist\QwQ-Desktop-$Version-$Variant-setup.exe"
if (-not (Test-Path $Setup)) { throw "Inno Setup made no $Setup" }
Write-Host ("Built {0} ({1:N0} MB)" -f $Setup, ((Get-Item $Setup).Length / 1mb))
