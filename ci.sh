#!/usr/bin/env bash
# Everything CI checks, in one script anyone can run. On a fresh machine it first installs what
# it needs (rustup components, targets and the toolchains of the declared minimum Rust versions,
# cargo-fuzz); warnings are errors.
#
#   ./ci.sh                 everything
#   FUZZ_SECONDS=5 ./ci.sh  shorter fuzz runs (default 30 s per target)
set -euo pipefail
cd "$(dirname "$0")"

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_TARGETS=(parse round_trip request_head response_head chunked client_ops session)
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

step() { printf '\n==> %s\n' "$*"; }

step "install what is missing"
rustup component add rustfmt clippy
rustup target add thumbv7em-none-eabihf i686-unknown-linux-gnu
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup +nightly component add miri rust-src llvm-tools
# The library crates' declared minimum Rust versions (the MSRV step), read from the manifests.
msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
msrv_futures=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' adapters/futures/Cargo.toml)
rustup toolchain install "$msrv" "$msrv_futures" --profile minimal
rustup target add --toolchain "$msrv" thumbv7em-none-eabihf
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# Debian packages: QEMU for the MCU tests, Chromium and curl for the interop tests, 32-bit
# libraries to link the core's tests for i686, tinyproxy for the client's proxy tests (the
# binary alone: the `tinyproxy` package would add a system service on port 8888).
packages=()
dpkg -s gcc-multilib >/dev/null 2>&1 || packages+=(gcc-multilib)
command -v qemu-system-arm >/dev/null || packages+=(qemu-system-arm)
command -v chromium >/dev/null || packages+=(chromium)
command -v curl >/dev/null || packages+=(curl)
command -v tinyproxy >/dev/null || packages+=(tinyproxy-bin)
if [ ${#packages[@]} -gt 0 ]; then
    apt-get update && apt-get install -y -o DPkg::Lock::Timeout=600 "${packages[@]}"
fi
# Node peers (playwright-core, eventsource) and Python peers (sse-starlette, uvicorn), pinned.
npm ci --prefix tests/node --no-audit --no-fund
tests/python/setup.sh

step "MSRV: the library crates with the Rust they declare (ssewire, ssewire-embedded $msrv; ssewire-futures $msrv_futures)"
# Against Cargo.lock as it is: the dependencies' own rust-version counts. Libraries only: tests,
# benches and examples need a recent stable. ssewire-embedded's feature `embassy` is left out:
# embassy-net 0.9 (smoltcp 0.13) needs Rust 1.91, as its README says.
cargo "+$msrv" check --locked -p ssewire --features std,proxy
cargo "+$msrv" check --locked -p ssewire-embedded
cargo "+$msrv" check --locked -p ssewire -p ssewire-embedded --target thumbv7em-none-eabihf
cargo "+$msrv" check --locked -p ssewire --features defmt,proxy --target thumbv7em-none-eabihf
cargo "+$msrv_futures" check --locked -p ssewire-futures --all-features

step "format"
cargo fmt --all -- --check
(cd fuzz && cargo fmt -- --check)
(cd tests/mcu && cargo fmt -- --check)
(cd examples/firmware && cargo fmt -- --check)

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings
# Features the workspace build leaves off: the async-std runtime, the embassy implementations.
cargo clippy -p ssewire-futures --all-targets --all-features -- -D warnings
cargo clippy -p ssewire-embedded --all-targets --all-features -- -D warnings
cargo clippy -p ssewire-tests --all-targets --features interop -- -D warnings
(cd examples/firmware && cargo clippy --release -- -D warnings)
(cd tests/mcu && cargo clippy --release --all-targets --all-features -- -D warnings)
(cd fuzz && cargo +nightly clippy --all-targets -- -D warnings)
# The core's 32-bit code paths (what microcontrollers build), tests included.
cargo clippy -p ssewire --all-targets --target i686-unknown-linux-gnu -- -D warnings

step "tests (unit, integration, doc)"
cargo test --workspace --exclude ssewire-futures 2>&1 | tee "$log/test"
# ssewire-futures on both runtimes (smol is its default feature, async-std the other).
cargo test -p ssewire-futures --all-features 2>&1 | tee "$log/test-futures"
# The embassy implementations, over two embassy-net stacks wired back to back.
cargo test -p ssewire-embedded --features embassy,proxy --lib --test embassy 2>&1 | tee "$log/test-embassy"
# The core on a 32-bit target: the code paths microcontrollers build (byte-loop line scan, no
# ASCII pre-checks, UTF-8 through one decoder, ...) under the whole suite, proptests included.
cargo test -p ssewire --target i686-unknown-linux-gnu 2>&1 | tee "$log/test-32"

step "interop: Chromium, the npm eventsource package, curl, sse-starlette against our server and client"
cargo build -p ssewire-examples --bins
cargo test -p ssewire-tests --features interop --test web --test python 2>&1 | tee "$log/test-interop"

step "bare metal: the no_std crates for thumbv7em-none-eabihf"
cargo build -p ssewire -p ssewire-embedded --target thumbv7em-none-eabihf
cargo build -p ssewire -p ssewire-embedded --target thumbv7em-none-eabihf --release
cargo build -p ssewire-embedded --features embassy --target thumbv7em-none-eabihf --release
# The core's own features, each and together: defmt::Format on its types, HTTP proxies.
cargo build -p ssewire --features defmt --target thumbv7em-none-eabihf
cargo build -p ssewire --features defmt,proxy --target thumbv7em-none-eabihf
cargo build -p ssewire-embedded --features proxy --target thumbv7em-none-eabihf
(cd examples/firmware && cargo build --release)

step "MCU: core vectors and adapter round trip on an emulated Cortex-M4 (QEMU)"
(cd tests/mcu && cargo build --release)
(cd tests/mcu && timeout 120 cargo run --release 2>&1) | tee "$log/mcu"
grep -qE '^[0-9]+ passed, 0 failed$' "$log/mcu"

step "footprint on thumbv7em (tables in adapters/embedded/README.md; fails if a RAM size grows past its table, or parser + encoder pass 4 KiB)"
tests/mcu/footprint.sh

step "no tokio in the library crates"
for crate in ssewire ssewire-embedded ssewire-futures; do
    if cargo tree -p "$crate" --all-features -e normal | grep -i tokio; then
        echo "tokio in the dependency tree of $crate" >&2
        exit 1
    fi
done

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
RUSTDOCFLAGS="-D warnings" cargo doc -p ssewire-embedded -p ssewire-futures --no-deps --all-features

step "package: the library crates as crates.io would get them"
# Together, so each dependent is verified against the packaged ssewire (and ssewire-embedded),
# which cargo puts in a local registry for that, not against crates.io, which has no such
# version yet. --allow-dirty: ci.sh also runs on a working copy with changes.
# Cargo unpacks that local registry's crates under $CARGO_HOME/registry/src/-<hash of the
# target dir>/ and builds them in target/, and takes both as final, as it takes any registry
# crate: a second run from the same directory, with changed code of the same version, would
# verify the dependents against the first run's code (seen here). So both go first.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/ssewire-*
cargo clean -p ssewire
cargo package --allow-dirty -p ssewire -p ssewire-embedded -p ssewire-futures
for crate in ssewire ssewire-embedded ssewire-futures; do
    files=$(cargo package --allow-dirty --list -p "$crate")
    for file in README.md LICENSE-MIT LICENSE-APACHE; do
        grep -qx "$file" <<<"$files" || { echo "$crate: $file is not in the package" >&2; exit 1; }
    done
done

step "benches build (run them by hand: cargo bench -p ssewire-bench)"
cargo bench -p ssewire-bench --no-run

step "claims: ssewire's column of the README's comparison table, measured again"
# ssewire's checks alone, about a second; the bench profile (release with debug info) reuses
# the build above. Fails, naming each row, where README.md's table or the full one in
# benches/README.md says otherwise. The peers' columns are from the last full run.
cargo run --profile bench -p ssewire-bench --bin claims -- --check README.md benches/README.md

step "miri"
cargo +nightly miri test -p ssewire 2>&1 | tee "$log/miri"

step "fuzz, ${FUZZ_SECONDS}s per target"
(cd fuzz && cargo +nightly fuzz build)
for target in "${FUZZ_TARGETS[@]}"; do
    # Starts from the checked-in seeds: the minimized corpus of a long run by hand
    # (fuzz/seeds/README.md); what this run finds stays in the ignored corpus/ directory.
    mkdir -p "fuzz/corpus/$target"
    tar -xzf "fuzz/seeds/$target.tar.gz" -C "fuzz/corpus/$target"
    (cd fuzz && cargo +nightly fuzz run "$target" -- -max_total_time="$FUZZ_SECONDS" 2>&1) | tee "$log/fuzz-$target" | grep -E '^(Done|INFO: Loaded)' || true
    grep -q '^Done [0-9]* runs' "$log/fuzz-$target" || { tail -40 "$log/fuzz-$target"; exit 1; }
done

step "summary"
for target in "${FUZZ_TARGETS[@]}"; do
    printf 'fuzz %-12s %s\n' "$target" "$(grep '^Done' "$log/fuzz-$target")"
done
passed=$(cat "$log/test" "$log/test-futures" "$log/test-embassy" "$log/test-32" "$log/test-interop" "$log/miri" | sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' | paste -sd+ | bc)
failed=$(cat "$log/test" "$log/test-futures" "$log/test-embassy" "$log/test-32" "$log/test-interop" "$log/miri" | sed -n 's/^test result: .* \([0-9]*\) failed.*/\1/p' | paste -sd+ | bc)
passed=$((passed + $(sed -n 's/^\([0-9]*\) passed, [0-9]* failed$/\1/p' "$log/mcu")))
failed=$((failed + $(sed -n 's/^[0-9]* passed, \([0-9]*\) failed$/\1/p' "$log/mcu")))
echo "ci: ${passed} passed, ${failed} failed"
