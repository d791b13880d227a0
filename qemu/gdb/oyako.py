# gdb helpers for oyako, loaded by `oyako gdb` and `oyako run -gdb`.
#
# Like Linux's scripts/gdb (lx-ps, lx-dmesg), they read the kernel's own
# data structures through the gdb stub; they never call into the kernel.
# What they read is kept for them on purpose (kernel/task/debug.go,
# kernel/klog's Ring):
#
#   oyako-ps            processes and threads, the system call in progress
#   oyako-regs [TID]    a task's user registers (pt_regs)
#   oyako-syscall [TID] the system call in progress, as -strace prints it
#   oyako-log           the kernel log, quiet lines included
#   oyako-maps [PID]    a process's mappings, as /proc/PID/maps lists them
#   $oyako_cr3([PID])   a process's page-table root, for breakpoint
#                       conditions: break main if $cr3 == $oyako_cr3(5)
#
# Without an argument they describe the current task: the one whose user
# context the CPU runs (in ring 3, or in the entry stub on its way in), or
# the one whose goroutine the CPU stopped in (Go code keeps g in R14).

import gdb

TASK = "oyako/kernel/task.Task"


def _global(name):
    sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
    if sym is None:
        raise gdb.GdbError("symbol %s not found: is the kernel's ELF loaded?" % name)
    return sym.value()


def _type(name):
    return gdb.lookup_type(name)


def _offset(typ, field):
    for f in typ.fields():
        if f.name == field:
            return f.bitpos // 8
    raise gdb.GdbError("%s has no field %s" % (typ, field))


def _read(addr, n):
    return bytes(gdb.selected_inferior().read_memory(addr, n))


def _u64(addr):
    return int.from_bytes(_read(addr, 8), "little")


def _gostring(v):
    n = int(v["len"])
    if n == 0:
        return ""
    return _read(int(v["str"]), n).decode("utf-8", "replace")


def _goslice(v):
    """The elements of a Go slice value."""
    arr, n = v["array"], int(v["len"])
    return [arr[i] for i in range(n)]


def _atomic(v):
    # sync/atomic.Uint32 and friends keep their value in field v.
    return int(v["v"])


def tasks():
    """Every live task, newest first (task.allTasks)."""
    t = _global("oyako/kernel/task.allTasks")
    out = []
    while int(t) != 0:
        out.append(t.dereference())
        t = t.dereference()["debugNext"]
    return out


def _task_by_tid(tid):
    for t in tasks():
        if int(t["TID"]) == tid:
            return t
    raise gdb.GdbError("no task %d" % tid)


def current_task():
    """The task the CPU runs or serves, or None."""
    cpu = _global("oyako/amd64.cpus")[0]
    uf = int(cpu["UserFrame"])
    task_type = _type(TASK)
    if uf != 0:
        # UserFrame is the running user context: Task.uc.Frame, the
        # first field of uc.
        addr = uf - _offset(task_type, "uc")
        return gdb.Value(addr).cast(task_type.pointer()).dereference()
    candidates = set()
    try:
        candidates.add(int(gdb.parse_and_eval("$r14")) & 0xFFFFFFFFFFFFFFFF)
    except gdb.error:
        pass
    try:
        fs = int(gdb.parse_and_eval("$fs_base")) & 0xFFFFFFFFFFFFFFFF
        if fs:
            candidates.add(_u64(fs - 8))
    except (gdb.error, gdb.MemoryError):
        pass
    candidates.discard(0)
    for t in tasks():
        if int(t["g"]) in candidates:
            return t
    return None


def _task_arg(arg):
    arg = arg.strip()
    if arg:
        return _task_by_tid(int(gdb.parse_and_eval(arg)))
    t = current_task()
    if t is None:
        raise gdb.GdbError("the CPU is not running or serving a task here; give a TID (oyako-ps lists them)")
    return t


def _address_space(proc):
    p = proc["as"]["v"]
    if int(p) == 0:
        return None
    return p.cast(_type("oyako/kernel/mm.AddressSpace").pointer()).dereference()


def _cr3(proc):
    a = _address_space(proc)
    return 0 if a is None else int(a["pt"]["Root"])


def _comm(t):
    b = bytes(int(t["comm"][i]) for i in range(16))
    return b.split(b"\0", 1)[0].decode("utf-8", "replace")


def _state(t):
    if bool(t["stopped"]):
        return "T"
    s = _atomic(t["sleeping"])
    if s:
        return chr(s)
    return "R"


def syscall_name(nr):
    names = _global("oyako/syscalls/sysno.names")
    n = names.type.range()[1] + 1
    if 0 <= nr < n:
        s = _gostring(names[nr])
        if s:
            return s
    return "syscall_%d" % nr


def syscall_text(t):
    """The call in progress as -strace shows it, or "" outside calls."""
    if not bool(t["inSyscall"]):
        return ""
    s = _gostring(t["SyscallText"])
    if s:
        return s
    # Booted without "gdb" on the command line: the name and registers.
    r = t["uc"]["Frame"]["Regs"]
    args = ", ".join("%#x" % (int(r[f]) & 0xFFFFFFFFFFFFFFFF) for f in ("Rdi", "Rsi", "Rdx", "R10", "R8", "R9"))
    return "%s(%s)" % (syscall_name(int(r["OrigRax"])), args)


class OyakoPs(gdb.Command):
    """List oyako's processes and threads: PID, TID, state (R running or
    runnable, S/D waiting in the kernel, T stopped), the page-table root
    (CR3), the name, and the system call in progress. '>' marks the
    current task."""

    def __init__(self):
        super().__init__("oyako-ps", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        cur = current_task()
        cur_addr = int(cur.address) if cur is not None else 0
        rows = []
        for t in tasks():
            p = t["Proc"].dereference()
            rows.append((int(p["PID"]), int(t["TID"]), t))
        rows.sort(key=lambda r: (r[0], r[1]))
        print("  %5s %5s %-2s %-10s %-16s %s" % ("PID", "TID", "S", "CR3", "COMM", "SYSCALL"))
        for pid, tid, t in rows:
            mark = ">" if int(t.address) == cur_addr else " "
            print("%s %5d %5d %-2s %#-10x %-16s %s" % (
                mark, pid, tid, _state(t), _cr3(t["Proc"].dereference()), _comm(t), syscall_text(t)))


_REG_ORDER = ("Rip", "Cs", "Rsp", "Ss", "Eflags", "Rax", "Rbx", "Rcx", "Rdx", "Rsi", "Rdi",
              "Rbp", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15")


def _in_ring3():
    try:
        return int(gdb.parse_and_eval("$cs")) & 3 == 3
    except gdb.error:
        return False


def user_regs(t):
    """The task's user registers, and where they come from: the CPU itself
    while the task runs in ring 3 (its saved frame is stale then), else the
    frame the entry path saved."""
    cur = current_task()
    if cur is not None and int(cur.address) == int(t.address) and _in_ring3():
        frame = gdb.newest_frame()
        regs = {f: int(frame.read_register(f.lower())) & 0xFFFFFFFFFFFFFFFF
                for f in _REG_ORDER}
        regs["OrigRax"] = None
        return regs, "live: the task runs in ring 3"
    r = t["uc"]["Frame"]["Regs"]
    regs = {f: int(r[f]) & 0xFFFFFFFFFFFFFFFF for f in _REG_ORDER + ("OrigRax",)}
    if bool(t["inSyscall"]):
        where = "saved by entry_SYSCALL_64: the task is in a system call"
    else:
        where = "saved when the task last entered the kernel"
    if cur is not None and int(cur.address) == int(t.address) and int(_global("oyako/amd64.cpus")[0]["UserFrame"]) != 0:
        # The CPU is between ring 3 and the task's goroutine: on its way
        # in (an entry stub is saving the frame) or out (EnterUser is
        # restoring it).
        pc = gdb.execute("info symbol $pc", to_string=True)
        if "EnterUser" in pc:
            where = "the frame EnterUser is returning to ring 3 with"
        else:
            where = "being saved by the entry path: partly stale until it is done"
    return regs, where


class OyakoRegs(gdb.Command):
    """Show a task's user registers (its pt_regs): oyako-regs [TID].
    While the task is in a system call they are the registers of its
    SYSCALL instruction, kept as Linux keeps them: ORIG_RAX holds the
    call's number (RAX at the SYSCALL), RAX holds -ENOSYS until the call
    returns its result there, RCX and R11 hold RIP and RFLAGS (the
    instruction saves them), and RIP is the instruction after SYSCALL."""

    def __init__(self):
        super().__init__("oyako-regs", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        t = _task_arg(arg)
        v, where = user_regs(t)
        print("task %d (%s), pid %d: %s" % (int(t["TID"]), _comm(t), int(t["Proc"]["PID"]), where))
        print("RIP: %04x:%#018x  RSP: %04x:%#018x  EFLAGS: %08x" % (v["Cs"], v["Rip"], v["Ss"], v["Rsp"], v["Eflags"]))
        print("RAX: %016x RBX: %016x RCX: %016x" % (v["Rax"], v["Rbx"], v["Rcx"]))
        print("RDX: %016x RSI: %016x RDI: %016x" % (v["Rdx"], v["Rsi"], v["Rdi"]))
        print("RBP: %016x R08: %016x R09: %016x" % (v["Rbp"], v["R8"], v["R9"]))
        print("R10: %016x R11: %016x R12: %016x" % (v["R10"], v["R11"], v["R12"]))
        print("R13: %016x R14: %016x R15: %016x" % (v["R13"], v["R14"], v["R15"]))
        if v["OrigRax"] is not None:
            line = "ORIG_RAX: %016x" % v["OrigRax"]
            if bool(t["inSyscall"]):
                line += " (%s: RAX was %d at the SYSCALL instruction)" % (syscall_name(v["OrigRax"]), v["OrigRax"])
            print(line)


class OyakoSyscall(gdb.Command):
    """Show the system call a task is in, decoded as -strace prints it:
    oyako-syscall [TID]. Arguments the call will write show as addresses."""

    def __init__(self):
        super().__init__("oyako-syscall", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        t = _task_arg(arg)
        s = syscall_text(t)
        print(s if s else "task %d is not in a system call" % int(t["TID"]))


class OyakoLog(gdb.Command):
    """Print the kernel log (klog.Ring), the lines "quiet" kept off the
    console included, oldest first."""

    def __init__(self):
        super().__init__("oyako-log", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        ring = _global("oyako/kernel/klog.Ring")
        buf = ring["Buf"]
        size = buf.type.range()[1] + 1
        head = int(ring["Head"])
        base = int(buf.address)
        if head <= size:
            data = _read(base, head)
        else:
            i = head % size
            data = _read(base + i, size - i) + _read(base, i)
        gdb.write(data.decode("utf-8", "replace"))


class OyakoMaps(gdb.Command):
    """List a process's mappings as /proc/PID/maps does: oyako-maps [PID]."""

    def __init__(self):
        super().__init__("oyako-maps", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        if arg:
            pid = int(gdb.parse_and_eval(arg))
            proc = None
            for t in tasks():
                if int(t["Proc"]["PID"]) == pid:
                    proc = t["Proc"].dereference()
                    break
            if proc is None:
                raise gdb.GdbError("no live process %d" % pid)
        else:
            proc = _task_arg("")["Proc"].dereference()
        a = _address_space(proc)
        if a is None:
            print("process %d has no address space (it is exiting)" % int(proc["PID"]))
            return
        for vp in _goslice(a["vmas"]):
            v = vp.dereference()
            prot, flags = int(v["Prot"]), int(v["Flags"])
            perms = ("r" if prot & 1 else "-") + ("w" if prot & 2 else "-") + \
                ("x" if prot & 4 else "-") + ("s" if flags & 1 else "p")
            print("%012x-%012x %s %08x %s" % (
                int(v["Start"]), int(v["End"]), perms, int(v["Off"]), _gostring(v["Name"])))


class OyakoCR3(gdb.Function):
    """$oyako_cr3([PID]): the page-table root of process PID (default: the
    current task's), to compare with $cr3 in a breakpoint condition, since
    user breakpoints match an address in every process."""

    def __init__(self):
        super().__init__("oyako_cr3")

    def invoke(self, pid=None):
        if pid is None:
            return _cr3(_task_arg("")["Proc"].dereference())
        for t in tasks():
            if int(t["Proc"]["PID"]) == int(pid):
                return _cr3(t["Proc"].dereference())
        raise gdb.GdbError("no live process %d" % int(pid))


OyakoPs()
OyakoRegs()
OyakoSyscall()
OyakoLog()
OyakoMaps()
OyakoCR3()
