# Sourced by the benchmarks of Linux guests (bench/run.sh, bench/iperf.sh):
#   bench_where NAME ARG RAW TIMEOUT: runs bench/NAME.sh ARG where Linux
#   guests run (directly on hardware KVM, else inside the test host, given
#   TIMEOUT seconds), its BENCH lines into RAW, and sets where (the host, in
#   words, for the table). Fails when no measurement came.
. scripts/hostkind.sh
bench_where() {
	cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1)
	if hw_kvm; then
		where="directly on hardware KVM ($cpu, $(nproc) CPUs)"
		sh "bench/$1.sh" "$2" 2>&1 | tee "build/bench/$1-log.txt" | grep '^BENCH' >"$3"
	else
		where="inside the test host (QEMU TCG with emulated SVM, 1 vCPU, kvm_amd) on $cpu, $(nproc) CPUs, no hardware virtualization"
		echo "bench: no hardware virtualization here: running inside the test host"
		TESTHOST_QUIET=1 TESTHOST_TIMEOUT=$4 scripts/testhost.sh "$1" "" "$2"
		tr -d '\r' <"build/testhost/$1.log" | grep '^BENCH' >"$3"
	fi
	[ -s "$3" ] || { echo "bench: no measurements (see build/testhost/$1.log or build/bench/$1-log.txt)"; return 1; }
}
