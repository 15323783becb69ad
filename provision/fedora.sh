#!/usr/bin/env bash
# Bootstrap a bare Fedora for GPU deep learning with NVIDIA's CUDA runfile installer.
# Plain bash on purpose: it runs before pip (and so before rnnbench) exists.
#
#   fedora.sh check            print the prerequisite checks (exit 1 if one fails)
#   fedora.sh install          print the dnf commands and runfile steps it would run
#   fedora.sh install --yes    run them (as root); steps already done are skipped
#
# Settings (environment): CUDA_VERSION (10.0), CUDA_RUNFILE (its installer file name),
# CUDA_RUNFILE_URL, and RNNBENCH_ROOT, a folder the machine's files are read and written below
# (default: /, like `rnnbench doctor --root`; the tests point it at a scratch folder).
# Only bash builtins parse files here, so the tests can put stub commands alone on PATH.
set -euo pipefail

CUDA_VERSION="${CUDA_VERSION:-10.0}"
CUDA_RUNFILE="${CUDA_RUNFILE:-cuda_10.0.130_410.48_linux.run}"
CUDA_RUNFILE_URL="${CUDA_RUNFILE_URL:-https://developer.nvidia.com/compute/cuda/10.0/Prod/local_installers/cuda_10.0.130_410.48_linux}"
ROOT="${RNNBENCH_ROOT:-}"
ROOT="${ROOT%/}"
# The runfile needs Term::ReadLine::Gnu; its kernel module build needs a compiler and headers.
# The same list as the fedora29-gtx1050-cuda10 profile.
PACKAGES=(python3-pip perl-Term-ReadLine-Gnu gcc make kernel-devel kernel-headers
          elfutils-libelf-devel)
APPLY=0
FAILED=0
# What a package name, a kernel release and a CUDA version may hold: they reach rpm's and dnf's
# argv and /etc/profile.d, so an option ("--eval=%(cmd)") or shell text must never get through.
PLAIN_NAME='^[A-Za-z0-9][A-Za-z0-9._+-]*$'

usage() {
  echo "usage: fedora.sh check | install [--yes]" >&2
  exit 2
}

die() {  # die MESSAGE: one line on stderr, exit 2
  printf 'fedora.sh: %s\n' "$(clean "$1")" >&2
  exit 2
}

clean() {  # clean TEXT: control characters shown as "?", so machine text cannot act on a terminal
  local text="$1"
  printf '%s' "${text//[[:cntrl:]]/?}"
}

check_settings() {  # the environment's settings reach paths, argv and a profile.d script
  [[ $CUDA_VERSION =~ ^[0-9]+(\.[0-9]+)*$ ]] ||
    die "CUDA_VERSION must be a version like 10.0, not '$CUDA_VERSION'"
  [[ $CUDA_RUNFILE =~ ^[A-Za-z0-9_./][A-Za-z0-9_./+-]*$ ]] ||
    die "CUDA_RUNFILE must be a file name (letters, digits, ._/+-, not starting with -), not '$CUDA_RUNFILE'"
  [[ $CUDA_RUNFILE_URL =~ ^https?://[^[:space:][:cntrl:]]+$ ]] ||
    die "CUDA_RUNFILE_URL must be an http(s):// address, not '$CUDA_RUNFILE_URL'"
}

# --------------------------------------------------------------------------- machine facts
os_field() {  # os_field KEY -> value from os-release, quotes removed
  local line value
  [[ -r "$ROOT/etc/os-release" ]] || return 0
  while IFS= read -r line; do
    if [[ $line == "$1="* ]]; then
      value="${line#*=}"
      value="${value#\"}"
      printf '%s\n' "${value%\"}"
      return 0
    fi
  done <"$ROOT/etc/os-release"
}

kernel_release() {
  local release=""
  if [[ -r "$ROOT/proc/sys/kernel/osrelease" ]]; then
    IFS= read -r release <"$ROOT/proc/sys/kernel/osrelease" || true
  fi
  printf '%s\n' "$release"
}

module_loaded() {  # module_loaded NAME
  local name _
  [[ -r "$ROOT/proc/modules" ]] || return 1
  while read -r name _; do
    [[ $name == "$1" ]] && return 0
  done <"$ROOT/proc/modules"
  return 1
}

have() { command -v "$1" >/dev/null 2>&1; }

package_installed() { have rpm && rpm -q -- "$1" >/dev/null 2>&1; }

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    package_installed "$p" || printf '%s\n' "$p"
  done
}

nvidia_gpu() {  # prints the first NVIDIA display/3D device lspci names
  local line
  have lspci || return 1
  while IFS= read -r line; do
    if [[ $line =~ \[03[0-9a-f]{2}\]:.*\[10de:[0-9a-f]{4}\] ]]; then
      echo "$line"
      return 0
    fi
  done < <(lspci -nn 2>/dev/null)
  return 1
}

driver_version() {
  local line
  [[ -r "$ROOT/proc/driver/nvidia/version" ]] || return 1
  IFS= read -r line <"$ROOT/proc/driver/nvidia/version" || true
  [[ $line =~ Kernel\ Module[^0-9]*([0-9]+\.[0-9]+(\.[0-9]+)?) ]] || return 1
  echo "${BASH_REMATCH[1]}"
}

# --------------------------------------------------------------------------- check
report() {  # report pass|warn|fail ID MESSAGE [FIX]
  local mark
  case $1 in pass) mark="✓" ;; warn) mark="!" ;; fail) mark="✗"; FAILED=1 ;; *) mark="–" ;; esac
  printf '%s %-18s %s\n' "$mark" "$2" "$(clean "$3")"
  if [[ -n ${4:-} ]]; then printf '    fix: %s\n' "$(clean "$4")"; fi
}

cmd_check() {
  local id version gpu missing gcc_major kernel
  id="$(os_field ID)"
  version="$(os_field VERSION_ID)"
  kernel="$(kernel_release)"
  if [[ $id == fedora ]]; then
    report pass os.distro "Fedora $version, kernel ${kernel:-unknown}"
  else
    report warn os.distro "not Fedora (${id:-unknown}); this script speaks dnf"
  fi

  if have python3 && python3 -m pip --version >/dev/null 2>&1; then
    report pass python.pip "pip available for python3"
  else
    report fail python.pip "pip is missing for python3" "sudo dnf install python3-pip"
  fi

  if have perl && perl -MTerm::ReadLine::Gnu -e 1 >/dev/null 2>&1; then
    report pass perl.readline_gnu "Perl module Term::ReadLine::Gnu present"
  else
    report fail perl.readline_gnu "Term::ReadLine::Gnu missing (NVIDIA's runfile needs it)" \
      "sudo dnf install perl-Term-ReadLine-Gnu"
  fi

  missing="$(missing_packages | tr_lines)"
  if [[ -z $missing ]]; then
    report pass os.packages "all ${#PACKAGES[@]} packages installed"
  else
    report fail os.packages "missing: $missing" "sudo dnf install $missing"
  fi

  if gpu="$(nvidia_gpu)"; then
    report pass nvidia.gpu "${gpu#* }"
  else
    report fail nvidia.gpu "no NVIDIA GPU on the PCI bus (or lspci missing: dnf install pciutils)"
  fi

  if module_loaded nouveau; then
    report fail nvidia.nouveau "nouveau is loaded; NVIDIA's installer refuses to run" \
      "sudo grubby --update-kernel=ALL --args='rd.driver.blacklist=nouveau modprobe.blacklist=nouveau' && sudo reboot"
  fi
  if version="$(driver_version)"; then
    report pass nvidia.driver "NVIDIA driver $version loaded"
  else
    report fail nvidia.driver "NVIDIA driver not loaded" "fedora.sh install --yes (runs the runfile)"
  fi

  if [[ -d "$ROOT/usr/local/cuda-$CUDA_VERSION" ]]; then
    report pass cuda.toolkit "CUDA $CUDA_VERSION installed in /usr/local/cuda-$CUDA_VERSION"
  else
    report fail cuda.toolkit "CUDA $CUDA_VERSION not installed" "fedora.sh install --yes"
  fi

  if have gcc; then
    gcc_major="$(gcc -dumpversion)"
    gcc_major="${gcc_major%%.*}"
    # Only digits may reach -gt: [[ ]] evaluates its operands as arithmetic, and arithmetic on
    # text like "a[$(cmd)]" runs cmd.
    if ! [[ $gcc_major =~ ^[0-9]+$ ]]; then
      report warn cuda.host_compiler "gcc printed no version ('$gcc_major')"
    elif [[ $CUDA_VERSION == 10.0 && $gcc_major -gt 7 ]]; then
      report warn cuda.host_compiler "gcc $gcc_major is newer than CUDA 10.0 accepts (7)" \
        "the runfile is run with --override; compile CUDA code with nvcc -ccbin <gcc-7>"
    else
      report pass cuda.host_compiler "gcc $gcc_major"
    fi
  fi
  return "$FAILED"
}

tr_lines() {  # join stdin lines with spaces
  local line out=""
  while IFS= read -r line; do out+="${out:+ }$line"; done
  echo "$out"
}

# --------------------------------------------------------------------------- install
run() {  # print the command; run it only with --yes
  printf '+ %s\n' "$*"
  if ((APPLY)); then "$@"; fi
}

step_packages() {
  local missing kernel
  kernel="$(kernel_release)"
  if [[ -n $kernel && ! $kernel =~ $PLAIN_NAME ]]; then
    die "the kernel release '$kernel' (/proc/sys/kernel/osrelease) is not a plain version"
  fi
  mapfile -t missing < <(missing_packages)
  # kernel-devel must match the running kernel, or the driver module cannot be built.
  if [[ -n $kernel ]] && ! package_installed "kernel-devel-$kernel"; then
    missing+=("kernel-devel-$kernel")
  fi
  if ((${#missing[@]})); then
    run dnf install -y "${missing[@]}"
  else
    echo "# packages: all installed"
  fi
}

step_nouveau() {
  local conf="$ROOT/etc/modprobe.d/blacklist-nouveau.conf"
  if [[ -f $conf ]] || ! module_loaded nouveau; then
    echo "# nouveau: not loaded or already blacklisted"
    return 0
  fi
  write_file "$conf" "blacklist nouveau" "options nouveau modeset=0"
  run grubby --update-kernel=ALL --args="rd.driver.blacklist=nouveau modprobe.blacklist=nouveau"
  run dracut --force
  echo "# reboot now, then run: fedora.sh install --yes (again) to install the driver"
  NEED_REBOOT=1
}

step_runfile() {
  if [[ -d "$ROOT/usr/local/cuda-$CUDA_VERSION" ]] && driver_version >/dev/null; then
    echo "# CUDA $CUDA_VERSION and the NVIDIA driver: already installed"
    return 0
  fi
  if [[ ! -f $CUDA_RUNFILE ]]; then
    run curl -fL -o "$CUDA_RUNFILE" "$CUDA_RUNFILE_URL"
  fi
  # The runfile cannot replace a driver in use by a graphical session.
  run systemctl isolate multi-user.target
  # --override: CUDA 10.0 rejects Fedora 29's gcc 8 otherwise; torch from pip does not care.
  run sh "$CUDA_RUNFILE" --silent --driver --toolkit --override
}

step_environment() {
  local profile="$ROOT/etc/profile.d/cuda.sh"
  if [[ -f $profile ]]; then
    echo "# environment: $profile exists"
    return 0
  fi
  write_file "$profile" \
    "export PATH=/usr/local/cuda-$CUDA_VERSION/bin:\$PATH" \
    "export LD_LIBRARY_PATH=/usr/local/cuda-$CUDA_VERSION/lib64:\${LD_LIBRARY_PATH:-}"
}

write_file() {  # write_file PATH LINE...: print it; with --yes write it atomically (temp + mv)
  local path="$1" tmp
  shift
  printf '+ write %s:\n' "$path"
  printf '    %s\n' "$@"
  if ((APPLY)); then
    mkdir -p -- "${path%/*}"
    tmp="$path.tmp.$$"
    printf '%s\n' "$@" >"$tmp"
    mv -f -- "$tmp" "$path"
  fi
}

cmd_install() {
  case "${1:-}" in
    --yes) APPLY=1 ;;
    "") APPLY=0 ;;
    *) usage ;;
  esac
  local uid="${FEDORA_SH_UID:-$EUID}"  # FEDORA_SH_UID: lets the tests play a non-root user
  if ((APPLY)) && [[ $uid != 0 ]]; then
    echo "fedora.sh: install --yes must run as root (sudo $0 install --yes)" >&2
    exit 2
  fi
  NEED_REBOOT=0
  step_packages
  step_nouveau
  if ((NEED_REBOOT)); then
    finish
    return 0
  fi
  step_runfile
  step_environment
  finish
}

finish() {
  if ((APPLY)); then
    echo "# done"
  else
    echo "# dry run: nothing was changed; run 'sudo $0 install --yes' to do the above"
  fi
}

check_settings
case "${1:-}" in
  check) cmd_check ;;
  install) shift; cmd_install "$@" ;;
  *) usage ;;
esac
