# The tracer of `oyako profile` (qemu/profile.go): loaded with
# user/c/profile.c's symbols, it single-steps each system call that
# program makes between profile_begin and profile_end, from its SYSCALL
# instruction (profile_syscall) to the first user instruction after it,
# and writes the RIP of every instruction the CPU executed on the way.
#
# QEMU's gdb stub steps with interrupts and timers masked (its default
# single-step flags), so a path is counted the same every time.
#
# The trace file, one line each:
#   call NR              a system call starts (RAX at its SYSCALL)
#   HEX                  an instruction the kernel executed
#   back HEX             the user RIP the call returned to
#   lost HEX             stepping gave up (too many steps); where it was

import gdb

MAX_STEPS = 200000


def _reg(name):
    return int(gdb.parse_and_eval("$" + name)) & 0xFFFFFFFFFFFFFFFF


class Profile(gdb.Command):
    """oyako-profile FILE BEGIN INSN END: trace the profiled system calls
    into FILE; BEGIN, INSN and END are the addresses of profile_begin,
    profile_syscall and profile_end (the caller reads them from the ELF)."""

    def __init__(self):
        super().__init__("oyako-profile", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        path, begin, insn, end = arg.split()
        begin, insn, end = int(begin, 0), int(insn, 0), int(end, 0)
        after = insn + 2  # SYSCALL is 0f 05
        out = open(path, "w")
        gdb.execute("hbreak *%#x" % begin, to_string=True)
        gdb.execute("continue", to_string=True)
        gdb.execute("delete", to_string=True)
        gdb.execute("hbreak *%#x" % insn, to_string=True)
        gdb.execute("hbreak *%#x" % end, to_string=True)
        while True:
            gdb.execute("continue", to_string=True)
            pc = _reg("pc")
            if pc == end:
                break
            if pc != insn:
                raise gdb.GdbError("stopped at %#x, not at profile_syscall" % pc)
            out.write("call %d\n" % _reg("rax"))
            gdb.execute("disable", to_string=True)
            for _ in range(MAX_STEPS):
                gdb.execute("stepi", to_string=True)
                pc = _reg("pc")
                if pc == after and _reg("cs") & 3 == 3:
                    out.write("back %x\n" % pc)
                    break
                out.write("%x\n" % pc)
            else:
                out.write("lost %x\n" % pc)
                break
            gdb.execute("enable", to_string=True)
        out.close()
        gdb.execute("delete", to_string=True)


Profile()
