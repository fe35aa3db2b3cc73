#!/usr/bin/env python3
"""Job control through starmm-run, at a real terminal: tests/tracer/jobctl.py STARMM_RUN TICK

An interactive bash on a pseudo-terminal runs `starmm-run TICK` (tests/tracer/progs/tick.c:
prints "ready", sleeps 0.5 s, prints "finished"); ^Z must stop the job (bash says "Stopped"),
fg must resume it to the end with status 0. Every wait is bounded; exits 0 on success, 1 with
a reason otherwise."""
import os
import pty
import select
import sys
import time

run, tick = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ["PS1"] = "PROMPT> "
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])

seen = ""


def expect(text, timeout):
    """Read until text appears; False after timeout seconds."""
    global seen
    end = time.time() + timeout
    while text not in seen:
        left = end - time.time()
        if left <= 0:
            return False
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                seen += os.read(fd, 4096).decode(errors="replace")
            except OSError:
                return False
    seen = seen[seen.index(text) + len(text):]
    return True


def fail(why):
    print("jobctl: " + why + "; terminal said: " + repr(seen[-300:]))
    os.kill(pid, 9)
    sys.exit(1)


if not expect("PROMPT> ", 5):
    fail("no prompt")
os.write(fd, ("%s %s\n" % (run, tick)).encode())
if not expect("tick: ready", 5):
    fail("the program did not start")
os.write(fd, b"\x1a")
if not expect("Stopped", 3):
    fail("^Z did not stop the job")
# Longer than the program's sleep: a job that was not really stopped would finish meanwhile.
if expect("tick: finished", 0.8):
    fail("the program ran on while stopped")
os.write(fd, b"fg\n")
if not expect("tick: finished", 5):
    fail("fg did not resume the program")
os.write(fd, b"echo status=$?\n")
if not expect("status=0", 3):
    fail("wrong exit status after fg")
os.write(fd, b"exit\n")
os.waitpid(pid, 0)
sys.exit(0)
