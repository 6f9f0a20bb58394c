# Sourced by the scripts that choose where Linux guests run (system tests,
# demo, benchmarks). hw_kvm: true when /dev/kvm is hardware KVM (vmx/svm with
# kvm_intel or kvm_amd), false on PVM or without KVM: then guests run inside
# the test host (scripts/testhost.sh).
hw_kvm() {
	grep -qwE 'vmx|svm' /proc/cpuinfo && [ -c /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] &&
		{ [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }
}
