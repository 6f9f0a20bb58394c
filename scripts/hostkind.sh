# The one place that decides where a test (or the demo, or a benchmark)
# runs. Sourced by every suite driver. Three kinds of host:
#   hw    /dev/kvm is hardware KVM (vmx/svm with kvm_intel or kvm_amd):
#         layers and unmodified Linux guests run directly;
#   pvm   /dev/kvm is PVM (software virtualization, no vmx/svm): ring-3
#         layers run directly, Linux guests only inside the test host;
#   none  no usable /dev/kvm: everything that needs KVM runs inside the test
#         host (scripts/testhost.sh: QEMU TCG with emulated SVM + kvm_amd).
# RAMPART_HOST_KIND=hw|pvm|none overrides the detection (none is the one
# that makes sense on a KVM host: it sends every KVM suite to the test host).

# kvm_kind: prints hw, pvm or none
kvm_kind() {
	case ${RAMPART_HOST_KIND:-} in
	hw | pvm | none) echo "$RAMPART_HOST_KIND"; return 0 ;;
	"") ;;
	*) echo "RAMPART_HOST_KIND=$RAMPART_HOST_KIND: use hw, pvm or none" >&2; echo none; return 0 ;;
	esac
	if [ ! -c /dev/kvm ]; then echo none
	elif [ -d /sys/module/kvm_pvm ]; then echo pvm
	elif grep -qwE 'vmx|svm' /proc/cpuinfo &&
		{ [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then echo hw
	else echo pvm # a /dev/kvm without vmx/svm is software virtualization
	fi
}

# kvm_describe [KIND]: one line on what this host's KVM is, for the operator
kvm_describe() {
	case ${1:-$(kvm_kind)} in
	hw) echo "/dev/kvm is hardware KVM ($(grep -owE 'vmx|svm' /proc/cpuinfo | head -n1))" ;;
	pvm) echo "/dev/kvm is PVM, software virtualization (no vmx/svm): ring-3 layers run on it, Linux guests cannot boot" ;;
	none) if [ -e /dev/kvm ] && [ -z "${RAMPART_HOST_KIND:-}" ]; then
		echo "/dev/kvm is not a KVM device here"
	elif [ -n "${RAMPART_HOST_KIND:-}" ]; then
		echo "no /dev/kvm used (RAMPART_HOST_KIND=none)"
	else
		echo "no /dev/kvm here (no kvm module, no vmx/svm)"
	fi ;;
	esac
}

# hw_kvm: true when unmodified Linux guests can run directly
hw_kvm() { [ "$(kvm_kind)" = hw ]; }
# any_kvm: true when ring-3 layers can run directly (hardware KVM or PVM)
any_kvm() { [ "$(kvm_kind)" != none ]; }

# suite_where NEED: "direct" or "testhost" for a suite that needs
# NEED = kvm (any KVM: layers, stacks) or linux (hardware virtualization:
# unmodified Linux guests). RAMPART_SYSTEM_WHERE=direct|testhost forces it.
suite_where() {
	if [ -n "${RAMPART_SYSTEM_WHERE:-}" ]; then echo "$RAMPART_SYSTEM_WHERE"; return 0; fi
	case $1 in
	kvm) if any_kvm; then echo direct; else echo testhost; fi ;;
	linux) if hw_kvm; then echo direct; else echo testhost; fi ;;
	*) echo "suite_where: need kvm or linux, not '$1'" >&2; return 1 ;;
	esac
}
