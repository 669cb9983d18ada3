; QwQ Desktop installer (Inno Setup 6.3 or later).
;
;   ISCC /DAppVersion=0.1.0 /DVariant=cpu packaging\windows\qwq-desktop.iss
;
; packaging\windows\build.ps1 runs this after packaging\freeze.py has made
; dist\qwq-desktop\; the installer lands in dist\QwQ-Desktop-<version>-<variant>-setup.exe.
; Paths below are relative to this file's folder.
;
; Per-user by default (no administrator rights, installs to %LOCALAPPDATA%\Programs);
; the first page offers "install for all users" instead. Conversations, settings and
; downloaded models live in %LOCALAPPDATA%\qwq-desktop (platformdirs), outside {app}:
; uninstalling leaves them unless the user says Yes to the question at the end.

#ifndef AppVersion
  #error Give the version: ISCC /DAppVersion=0.1.0 /DVariant=cpu qwq-desktop.iss
#endif
#ifndef Variant
  #define Variant "cpu"
#endif

#define AppName "QwQ Desktop"
#define AppExe "qwq-desktop.exe"
#define ProgId "QwQDesktop.gguf"
#define DataDirName "qwq-desktop"

[Setup]
; Fixed forever: Windows knows the installed app by it (upgrades, uninstall).
AppId={{5A5A1DF5-0B1E-4226-BB4A-80554670859C}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion} ({#Variant})
AppPublisher=QwQ Desktop contributors
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
ChangesAssociations=yes
SetupIconFile=qwq-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2
SolidCompression=yes
OutputDir=..\..\dist
OutputBaseFilename=QwQ-Desktop-{#AppVersion}-{#Variant}-setup

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\qwq-desktop\*"; DestDir: "{app}"; Excludes: "qwq-desktop-cli.exe"; Flags: ignoreversion recursesubdirs createallsubdirs
; The console twin (if the spec makes one) becomes qwq-desktop.com: in a terminal,
; "qwq-desktop models" then runs it (.com comes before .exe) and prints there.
Source: "..\..\dist\qwq-desktop\qwq-desktop-cli.exe"; DestDir: "{app}"; DestName: "qwq-desktop.com"; Flags: ignoreversion skipifsourcedoesntexist

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; .gguf: QwQ Desktop joins the type's "Open with" list (it does not take the type over
; from another app; Windows may ask once which app opens .gguf) and opens the file
; with --model "<file>".
Root: HKA; Subkey: "Software\Classes\.gguf\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "GGUF model"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open"; ValueType: string; ValueName: ""; ValueData: "Open with {#AppName}"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" --model ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".gguf"; ValueData: ""

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
#if Variant == "cuda"
// The CUDA build loads nvcuda.dll, which only the NVIDIA driver installs.
function InitializeSetup(): Boolean;
begin
  Result := True;
  if not FileExists(ExpandConstant('{sys}\nvcuda.dll')) then
    Result := SuppressibleMsgBox(
      'No NVIDIA driver was found on this PC. This is the NVIDIA (CUDA) build of ' +
      '{#AppName}: without the driver it cannot load a model. Install the NVIDIA ' +
      'driver first, or use the CPU installer instead.' + #13#10#13#10 +
      'Install anyway?', mbConfirmation, MB_YESNO or MB_DEFBUTTON2, IDYES) = IDYES;
end;
#endif

// The user's data (conversations, settings, models) lives in %LOCALAPPDATA%\qwq-desktop.
// Keep it unless the user asks, and never delete it in a silent uninstall.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep <> usPostUninstall then
    Exit;
  DataDir := ExpandConstant('{localappdata}\{#DataDirName}');
  if UninstallSilent or not DirExists(DataDir) then
    Exit;
  if SuppressibleMsgBox(
      'Also delete your conversations and downloaded models?' + #13#10#13#10 +
      'They are in ' + DataDir + '. Models can take tens of gigabytes; ' +
      'choose No to keep them for a later install.',
      mbConfirmation, MB_YESNO or MB_DEFBUTTON2, IDNO) = IDYES then
    DelTree(DataDir, True, True, True);
end;
