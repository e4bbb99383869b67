#!/usr/bin/env bash
# Flash and RAM footprint of ssewire's components on a Cortex-M4 (thumbv7em-none-eabihf), built
# as tests/mcu's release profile says (opt-level "s", LTO, one codegen unit, panic = abort).
#
# Flash: `src/bin/footprint.rs` is linked once per component (feature fp-*), each time pulling in
# only that component through a non-inlined wrapper; a component's cost is its binary's flash
# (.vector_table + .text + .rodata + .data) minus the baseline's (no feature). Everything the
# component drags in (memchr, core::fmt, panic paths) is counted; code two components share is
# counted in each row, and once in the "together" rows. The second column is against a baseline
# that already links the compiler's memcpy/memmove/memset/memcmp (feature fp-mem), as nearly
# every firmware does: the component's own cost.
# RAM: `src/bin/sizes.rs`, run in QEMU, prints size_of of each state and future on the target;
# each must be at most what the RAM table of adapters/embedded/README.md ("Footprint") says, and
# that table must have a row for each and no other. A size that grew fails (so the README never
# understates); one that shrank passes with a note to write the new size there.
# Budget: parser + encoder (without mem*) must stay within BUDGET bytes, or the script fails.
#
#   ./footprint.sh             print the tables; check the RAM sizes and the budget
#   TOP=20 ./footprint.sh      also list the 20 largest symbols of the parser + encoder build
#   BUDGET=5000 ./footprint.sh another budget (default 4096, the target of 4 KiB)
#
# Needs: rustup target thumbv7em-none-eabihf, nightly's llvm-tools (llvm-size, llvm-nm),
# qemu-system-arm.
set -euo pipefail
cd "$(dirname "$0")"
BUDGET=${BUDGET:-4096}

host=$(rustc -vV | sed -n 's/^host: //p')
bin="$(rustc +nightly --print sysroot)/lib/rustlib/$host/bin"
for tool in llvm-size llvm-nm; do
    [ -x "$bin/$tool" ] || { echo "missing $bin/$tool: rustup +nightly component add llvm-tools" >&2; exit 1; }
done
out=target/footprint
mkdir -p "$out"
elf=target/thumbv7em-none-eabihf/release/footprint

# name|features
variants=(
    "baseline|"
    "parser|fp-parser"
    "encoder|fp-encoder"
    "parser + encoder|fp-parser,fp-encoder"
    "EventReader (parser, chunked decoder)|fp-reader"
    "EventWriter (encoder, chunk framing)|fp-writer"
    "EventReader + EventWriter|fp-reader,fp-writer"
    "accept (request head, 200 head)|fp-accept"
    "EventSource (reconnecting client)|fp-client"
    "EventStream (replay, live items, keep-alive)|fp-stream"
)

# Flash bytes of an ELF: the sections that are loaded into flash.
flash() {
    "$bin/llvm-size" -A "$1" | awk '$1 == ".vector_table" || $1 == ".text" || $1 == ".rodata" || $1 == ".data" { s += $2 } END { print s }'
}

declare -A size mem
for variant in "${variants[@]}"; do
    name=${variant%%|*}
    features=${variant#*|}
    for with in "" fp-mem; do
        all=$(echo "$features,$with" | sed 's/^,//; s/,$//')
        cargo build --quiet --release --bin footprint ${all:+--features "$all"}
        file="$out/$(echo "$name $with" | tr -c 'a-zA-Z0-9\n' '_')"
        cp "$elf" "$file"
        if [ -z "$with" ]; then size[$name]=$(flash "$file"); else mem[$name]=$(flash "$file"); fi
    done
done

base=${size[baseline]}
membase=${mem[baseline]}
echo "rustc: $(rustc -V)"
echo "target: thumbv7em-none-eabihf, opt-level \"s\", lto, codegen-units 1, panic abort"
echo
printf '| %-40s | %12s | %14s |\n' "flash, bytes over the baseline" "all" "without mem*"
printf '| %-40s | %12s | %14s |\n' "----------------------------------------" "-----------:" "-------------:"
printf '| %-40s | %12s | %14s |\n' "baseline (cortex-m-rt, vector table)" "$base total" "$membase total"
for variant in "${variants[@]:1}"; do
    name=${variant%%|*}
    printf '| %-40s | %12d | %14d |\n' "$name" "$(( ${size[$name]} - base ))" "$(( ${mem[$name]} - membase ))"
done

echo
cargo build --quiet --release --bin sizes
timeout 60 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -kernel target/thumbv7em-none-eabihf/release/sizes \
    >"$out/sizes.tsv"

# The README's RAM table, as "name<TAB>bytes" lines: the rows after its header, backticks and
# the separator row dropped.
readme=../../adapters/embedded/README.md
declare -A documented
while IFS=$'\t' read -r what bytes; do documented[$what]=$bytes; done < <(
    awk -F'|' '
        /^\| RAM, bytes/ { in_table = 1; next }
        in_table && !/^\|/ { exit }
        in_table && $2 !~ /^ *-+ *$/ {
            name = $2; bytes = $3
            gsub(/`|^ +| +$/, "", name); gsub(/ /, "", bytes)
            print name "\t" bytes
        }' "$readme")
[ ${#documented[@]} -gt 0 ] || { echo "no RAM table (a header '| RAM, bytes') in $readme" >&2; exit 1; }

printf '| %-40s | %12s | %8s |\n' "RAM, size_of on the target" "bytes" "README"
printf '| %-40s | %12s | %8s |\n' "----------------------------------------" "-----------:" "-------:"
ram_errors=()
ram_notes=()
declare -A measured
while IFS=$'\t' read -r what bytes; do
    measured[$what]=1
    doc=${documented[$what]:-}
    printf '| %-40s | %12s | %8s |\n' "$what" "$bytes" "${doc:-none}"
    if [ -z "$doc" ]; then
        ram_errors+=("$what: $bytes bytes, not in the RAM table of $readme: add a row")
    elif [ "$bytes" -gt "$doc" ]; then
        ram_errors+=("$what: $bytes bytes, grew from the $doc of $readme: make it small again, or write the new size there")
    elif [ "$bytes" -lt "$doc" ]; then
        ram_notes+=("$what: $bytes bytes, smaller than the $doc of $readme: write the new size there")
    fi
done <"$out/sizes.tsv"
for what in "${!documented[@]}"; do
    [ -n "${measured[$what]:-}" ] || ram_errors+=("$what: in the RAM table of $readme, not measured by src/bin/sizes.rs")
done

if [ -n "${TOP:-}" ]; then
    echo
    echo "largest symbols of the parser + encoder build (bytes, name):"
    "$bin/llvm-nm" --print-size --size-sort --radix=d -C "$out/parser___encoder_" |
        awk '{ printf "%6d %s", $2, $4; for (i = 5; i <= NF; i++) printf " %s", $i; print "" }' |
        tail -n "$TOP" | sort -rn
fi

together=$(( ${mem["parser + encoder"]} - membase ))
echo
failed=0
for note in "${ram_notes[@]}"; do echo "note: RAM: $note"; done
for error in "${ram_errors[@]}"; do echo "RAM: $error" >&2; failed=1; done
if [ "$together" -gt "$BUDGET" ]; then
    echo "parser + encoder: $together bytes, over the budget of $BUDGET (TOP=20 ./footprint.sh shows the largest symbols)" >&2
    failed=1
else
    echo "parser + encoder: $together bytes, within the budget of $BUDGET"
fi
[ "$failed" -eq 0 ] || exit 1
echo "RAM: no size over what $readme says"
