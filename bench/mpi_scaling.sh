#!/usr/bin/env bash
# Scaling of expose-mine-mpi: the same trace on 1, 2 and 3 ranks, rounds alternating, each rank on
# one thread (-j 1, no read-ahead), every run's JSON checked against the 1-rank run's. Prints the
# median per-phase wall and CPU seconds of every rank, bytes each rank sent and received, peak
# memory, and the job's wall time (GNU time): the figures README "Scaling" fits its model to;
# then each count of ranks' speed-up against the first (job wall, rank 0's work, round by round).
# The ranks of one machine talk through shared memory (Open MPI: --mca pml ob1 --mca btl
# self,vader); without it Open MPI probes for network hardware (InfiniBand, OFI, UCX) in every
# MPI_Init, 0.2 s a run on a machine that has none. --any-transport lets Open MPI choose.
# mpirun binds a 1-rank job to core 0; where a machine's cores do not run alike (a virtual
# machine's often do not), --one-rank-on "0 1" runs the 1-rank job on each of those cores in
# every round and gives the speed-ups against each: a 2-rank job runs on both.
#
#   bench/mpi_scaling.sh --build DIR --trace FILE [--rounds N] [--ranks "1 2 3"] [--one-rank-on "0 1"] [--any-transport]
set -euo pipefail
build=""; trace=""; rounds=3; ranks="1 2 3"; shm=1; one_rank_on=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --trace) trace=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --one-rank-on) one_rank_on=$2; shift 2 ;;
    --any-transport) shm=0; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "mpi_scaling.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
tool="$build/examples/expose-mine-mpi"
[ -x "$tool" ] || { echo "mpi_scaling.sh: no $tool (configure with -DEXPOSE_BUILD_MPI_TOOL=ON)" >&2; exit 1; }
[ -r "$trace" ] || { echo "mpi_scaling.sh: --trace: cannot read '$trace'" >&2; exit 1; }
cores=$(nproc)
for c in $one_rank_on; do
  [[ "$c" =~ ^[0-9]+$ ]] && [ "$c" -lt "$cores" ] || { echo "mpi_scaling.sh: --one-rank-on: no core '$c' (this machine has $cores: 0 to $((cores - 1)))" >&2; exit 2; }
done
# The jobs of a round: N ranks as mpirun places them, or "1@C": one rank bound to core C.
jobs=()
for n in $ranks; do
  if [ "$n" = 1 ] && [ -n "$one_rank_on" ]; then
    for c in $one_rank_on; do jobs+=("1@$c"); done
  else
    jobs+=("$n")
  fi
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mpi=(mpirun --oversubscribe)
[ "$(id -u)" = 0 ] && mpi+=(--allow-run-as-root)
[ "$shm" = 1 ] && mpi+=(--mca pml ob1 --mca btl self,vader)
for ((i = 1; i <= rounds; ++i)); do
  for job in "${jobs[@]}"; do
    n=${job%@*}
    bind=()
    [ "$job" != "$n" ] && bind=(--cpu-set "${job#*@}" --bind-to core)
    /usr/bin/time -o "$out/time.$job.$i" -f "%e" "${mpi[@]}" "${bind[@]}" -np "$n" "$tool" -j 1 --timings -F json -o "$out/rules.$job.$i.json" "$trace" 2> "$out/timings.$job.$i" || {
      echo "mpi_scaling.sh: the run on $job ranks failed:" >&2; cat "$out/timings.$job.$i" >&2; exit 1; }
    if ! cmp -s "$out/rules.${jobs[0]}.1.json" "$out/rules.$job.$i.json"; then
      echo "mpi_scaling.sh: $job ranks gave other rules than ${jobs[0]} (round $i)" >&2; exit 1
    fi
  done
done
python3 - "$out" "$rounds" "${jobs[@]}" <<'PY'
import statistics, sys
out, rounds, ranks = sys.argv[1], int(sys.argv[2]), sys.argv[3:]  # jobs: "N" ranks, or "1@C" (one rank on core C)
def parse(path):
    wall, cpu, part = {}, {}, None
    for line in open(path):
        f = line.split()
        if "timings (s)" in line: part = "wall"; continue
        if "CPU seconds" in line: part = "cpu"; continue
        if not f or not f[0].isdigit(): continue
        r = int(f[0])
        if part == "wall":  # rank packets read merge generalize count score total sent received peak
            wall[r] = dict(read=float(f[2]), merge=float(f[3]), generalize=float(f[4]), count=float(f[5]), score=float(f[6]),
                           total=float(f[7]), sent=float(f[8]), received=float(f[9]), peak=float(f[10]))
        elif part == "cpu":
            cpu[r] = dict(read=float(f[1]), merge=float(f[2]), count=float(f[3]), score=float(f[4]), total=float(f[5]))
    return wall, cpu
med = statistics.median
print("ranks  rank | wall: read merge (generalize) count score total | CPU: read merge count score total | sent MB received MB peak MiB | job wall")
parsed = {n: [parse(f"{out}/timings.{n}.{i}") for i in range(1, rounds + 1)] for n in ranks}  # per round
walls = {n: [float(open(f"{out}/time.{n}.{i}").read()) for i in range(1, rounds + 1)] for n in ranks}
for n in ranks:
    runs = parsed[n]
    job = med(walls[n])
    for r in range(int(n.split("@")[0])):
        w = {k: med(run[0][r][k] for run in runs) for k in runs[0][0][r]}
        c = {k: med(run[1][r][k] for run in runs) for k in runs[0][1][r]}
        print(f"{n:>6} {r:4d} | {w['read']:.2f} {w['merge']:.2f} ({w['generalize']:.2f}) {w['count']:.2f} {w['score']:.2f} {w['total']:.2f}"
              f" | {c['read']:.2f} {c['merge']:.2f} {c['count']:.2f} {c['score']:.2f} {c['total']:.2f}"
              f" | {w['sent']:.1f} {w['received']:.1f} {w['peak']:.0f} | {job:.2f}" if r == 0 else
              f"{n:>6} {r:4d} | {w['read']:.2f} {w['merge']:.2f} ({w['generalize']:.2f}) {w['count']:.2f} {w['score']:.2f} {w['total']:.2f}"
              f" | {c['read']:.2f} {c['merge']:.2f} {c['count']:.2f} {c['score']:.2f} {c['total']:.2f}"
              f" | {w['sent']:.1f} {w['received']:.1f} {w['peak']:.0f} |")
# The speed-ups against the first count of ranks given (each of its cores with --one-rank-on):
# of the job's wall (medians), of rank 0's work (its total), and each round's own ratio (the
# rounds alternate, so a round's runs saw about the same machine): the spread of those says how
# far one series can be trusted.
bases = [j for j in ranks if j.split("@")[0] == ranks[0].split("@")[0]]
def work(n): return [run[0][0]["total"] for run in parsed[n]]
def named(j): return f"1 rank on core {j.split('@')[1]}" if "@" in j else f"{j} ranks" if j != "1" else "1 rank"
for base in bases:
  for n in [j for j in ranks if j not in bases]:
    jobs = [b / w for b, w in zip(walls[base], walls[n])]
    b_job, n_job = med(walls[base]), med(walls[n])
    b_work, n_work = med(work(base)), med(work(n))
    print(f"{named(n)} against {named(base)}: job wall {b_job:.2f} -> {n_job:.2f} s, {b_job / n_job:.2f}x; rank 0's work {b_work:.2f} -> {n_work:.2f} s,"
          f" {b_work / n_work:.2f}x; round by round {min(jobs):.2f}-{max(jobs):.2f}x (median {med(jobs):.2f}x)")
PY
