#!/bin/sh
# Installs the Debian packages p2pmon needs to build, test and run its demo.
# Idempotent and non-interactive: only missing packages are installed, and
# nothing at all happens (not even `apt-get update`) when everything is there.
# Usage: scripts/install-deps.sh [build|test]   (test adds the interop tools)
set -eu

mode=${1:-build}

build_pkgs="build-essential cmake pkg-config git ca-certificates
  libcurl4-openssl-dev libsofia-sip-ua-dev libboost-program-options-dev
  libboost-dev libsqlite3-dev nlohmann-json3-dev doctest-dev
  libcpp-httplib-dev zlib1g-dev libssl-dev libpcap-dev python3 curl"

# Real tools the integration tests talk to: the stock NSCA client and
# server, Nagios 4 itself, and sqlite3 for looking inside the database.
# clang and its libFuzzer runtime build the overlay decoder fuzz test; the
# runtime is only a Recommends of clang, which --no-install-recommends skips.
# SIP interop: sipsak and SIPp (sip-tester) as clients, Kamailio as a real
# SIP server, tshark to look at captures.
# STUN/NAT interop: Debian's stun-client and stund (vovida, RFC 3489),
# coturn (turnserver, turnutils_natdiscovery: RFC 5389/5780), and nftables
# for the NAT rig (tests/integration/nat_rig_test.py).
test_pkgs="nsca-client nsca nagios4-core sqlite3 procps clang libclang-rt-14-dev
  sipsak sip-tester kamailio tshark stun-client stun-server coturn nftables iproute2"
# The dashboard's browser test drives Debian's Chromium (playwright-core
# from npm, never a downloaded browser).
test_pkgs="$test_pkgs chromium"

pkgs=$build_pkgs
[ "$mode" = test ] && pkgs="$pkgs $test_pkgs"

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

# The dashboard is bundled with npm at build time (web/README.md). A Node.js
# already installed (NodeSource, nvm) is used as it is; otherwise Debian's
# nodejs, whose npm is a package of its own (installed below when the
# `npm` command is still missing after nodejs).
if ! command -v node >/dev/null 2>&1 && ! command -v nodejs >/dev/null 2>&1; then
  missing="$missing nodejs"
elif ! command -v npm >/dev/null 2>&1; then
  missing="$missing npm"
fi

if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi

echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
# nagios4, nsca, kamailio, coturn and stun-server ship services that Debian would start; tests run
# their own instances on free ports, so keep the packaged daemons from
# starting. (tshark's debconf question, setuid dumpcap, takes its default
# "no" under DEBIAN_FRONTEND=noninteractive.)
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends npm
fi
