package syscalls

import (
	"fmt"

	"oyako/kernel/task"
	"oyako/uring"
)

// strace's decoding of the io_uring calls: io_uring_setup's struct
// io_uring_params as the kernel filled it in, io_uring_enter's and
// io_uring_register's flags and operations.

func init() {
	argSpecs["io_uring_setup"] = []string{"u", "uringparamsout"}
	argSpecs["io_uring_enter"] = []string{"fd", "u", "u", "uringenter", "p", "u"}
	argSpecs["io_uring_register"] = []string{"fd", "uringregister", "p", "u"}
	extraArgKinds = append(extraArgKinds, formatUringArg)
}

var uringSetupFlagNames = []flagName{{uring.SetupIOPoll, "IORING_SETUP_IOPOLL"}, {uring.SetupSQPoll, "IORING_SETUP_SQPOLL"},
	{uring.SetupSQAff, "IORING_SETUP_SQ_AFF"}, {uring.SetupCQSize, "IORING_SETUP_CQSIZE"}, {uring.SetupClamp, "IORING_SETUP_CLAMP"},
	{uring.SetupAttachWQ, "IORING_SETUP_ATTACH_WQ"}, {uring.SetupRDisabled, "IORING_SETUP_R_DISABLED"},
	{uring.SetupSubmitAll, "IORING_SETUP_SUBMIT_ALL"}, {uring.SetupCoopTaskrun, "IORING_SETUP_COOP_TASKRUN"},
	{uring.SetupTaskrunFlag, "IORING_SETUP_TASKRUN_FLAG"}, {uring.SetupSQE128, "IORING_SETUP_SQE128"},
	{uring.SetupCQE32, "IORING_SETUP_CQE32"}, {uring.SetupSingleIssuer, "IORING_SETUP_SINGLE_ISSUER"},
	{uring.SetupDeferTaskrun, "IORING_SETUP_DEFER_TASKRUN"}}

var uringFeatNames = []flagName{{uring.FeatSingleMmap, "IORING_FEAT_SINGLE_MMAP"}, {uring.FeatNoDrop, "IORING_FEAT_NODROP"},
	{uring.FeatSubmitStable, "IORING_FEAT_SUBMIT_STABLE"}, {uring.FeatRWCurPos, "IORING_FEAT_RW_CUR_POS"},
	{uring.FeatCurPersonality, "IORING_FEAT_CUR_PERSONALITY"}, {uring.FeatFastPoll, "IORING_FEAT_FAST_POLL"},
	{uring.FeatPoll32Bits, "IORING_FEAT_POLL_32BITS"}, {uring.FeatSQPollNonfixed, "IORING_FEAT_SQPOLL_NONFIXED"},
	{uring.FeatExtArg, "IORING_FEAT_EXT_ARG"}, {uring.FeatNativeWorkers, "IORING_FEAT_NATIVE_WORKERS"},
	{uring.FeatRsrcTags, "IORING_FEAT_RSRC_TAGS"}, {uring.FeatCQESkip, "IORING_FEAT_CQE_SKIP"},
	{uring.FeatLinkedFile, "IORING_FEAT_LINKED_FILE"}}

var uringEnterFlagNames = []flagName{{uring.EnterGetEvents, "IORING_ENTER_GETEVENTS"}, {uring.EnterSQWakeup, "IORING_ENTER_SQ_WAKEUP"},
	{uring.EnterSQWait, "IORING_ENTER_SQ_WAIT"}, {uring.EnterExtArg, "IORING_ENTER_EXT_ARG"},
	{uring.EnterRegisteredRing, "IORING_ENTER_REGISTERED_RING"}, {uring.EnterAbsTimer, "IORING_ENTER_ABS_TIMER"},
	{uring.EnterExtArgReg, "IORING_ENTER_EXT_ARG_REG"}, {uring.EnterNoIOWait, "IORING_ENTER_NO_IOWAIT"}}

var uringRegisterNames = []string{"IORING_REGISTER_BUFFERS", "IORING_UNREGISTER_BUFFERS", "IORING_REGISTER_FILES",
	"IORING_UNREGISTER_FILES", "IORING_REGISTER_EVENTFD", "IORING_UNREGISTER_EVENTFD", "IORING_REGISTER_FILES_UPDATE",
	"IORING_REGISTER_EVENTFD_ASYNC", "IORING_REGISTER_PROBE", "IORING_REGISTER_PERSONALITY", "IORING_UNREGISTER_PERSONALITY",
	"IORING_REGISTER_RESTRICTIONS", "IORING_REGISTER_ENABLE_RINGS", "IORING_REGISTER_FILES2", "IORING_REGISTER_FILES_UPDATE2",
	"IORING_REGISTER_BUFFERS2", "IORING_REGISTER_BUFFERS_UPDATE", "IORING_REGISTER_IOWQ_AFF", "IORING_UNREGISTER_IOWQ_AFF",
	"IORING_REGISTER_IOWQ_MAX_WORKERS", "IORING_REGISTER_RING_FDS", "IORING_UNREGISTER_RING_FDS", "IORING_REGISTER_PBUF_RING",
	"IORING_UNREGISTER_PBUF_RING", "IORING_REGISTER_SYNC_CANCEL", "IORING_REGISTER_FILE_ALLOC_RANGE"}

// formatUringArg formats the io_uring argument kinds.
func formatUringArg(t *task.Task, kind string, n int, a Args, v uintptr, err error) (string, bool) {
	switch kind {
	case "uringparamsout":
		return structArg(t, v, uring.ParamsSize, true, err, fmtUringParams), true
	case "uringenter":
		return flagList(uint64(uint32(v)), uringEnterFlagNames, "0"), true
	case "uringregister":
		s := enumName(uint64(uint32(v)&^uring.RegisterUseRegisteredRing), uringRegisterNames)
		if uint32(v)&uring.RegisterUseRegisteredRing != 0 {
			s += "|IORING_REGISTER_USE_REGISTERED_RING"
		}
		return s, true
	}
	return "", false
}

// fmtUringParams formats struct io_uring_params as strace does.
func fmtUringParams(b []byte) string {
	p := uring.DecodeParams(b)
	s := fmt.Sprintf("{flags=%s, sq_thread_cpu=%d, sq_thread_idle=%d", flagList(uint64(p.Flags), uringSetupFlagNames, "0"), p.SQThreadCPU, p.SQThreadIdle)
	if p.Flags&uring.SetupAttachWQ != 0 {
		s += fmt.Sprintf(", wq_fd=%d", int32(p.WQFd))
	}
	o, c := p.SQOff, p.CQOff
	return s + fmt.Sprintf(", sq_entries=%d, cq_entries=%d, features=%s, sq_off={head=%d, tail=%d, ring_mask=%d, ring_entries=%d, flags=%d, dropped=%d, array=%d}, cq_off={head=%d, tail=%d, ring_mask=%d, ring_entries=%d, overflow=%d, cqes=%d, flags=%d}}",
		p.SQEntries, p.CQEntries, flagList(uint64(p.Features), uringFeatNames, "0"),
		o.Head, o.Tail, o.RingMask, o.RingEntries, o.Flags, o.Dropped, o.Array,
		c.Head, c.Tail, c.RingMask, c.RingEntries, c.Overflow, c.CQEs, c.Flags)
}
