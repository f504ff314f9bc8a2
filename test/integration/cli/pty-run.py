"""Runs a command on a pseudo-terminal, presses Ctrl-C once at the first `[y/N]` prompt, and
reports `EXITED <code> after <seconds>` (or `STILL RUNNING after Ctrl-C` 10 s later, and kills it)."""
import os, pty, select, sys, time

argv = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b''
deadline = time.time() + 40
sent_at = None
status = None
while time.time() < deadline:
    wpid, wstatus = os.waitpid(pid, os.WNOHANG)
    if wpid:
        status = wstatus
        break
    if sent_at is not None and time.time() - sent_at > 10:
        break
    readable, _, _ = select.select([fd], [], [], 0.2)
    if readable:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b''
        if data:
            out += data
        else:
            time.sleep(0.05)
    if sent_at is None and b'[y/N]' in out:
        time.sleep(0.3)
        os.write(fd, b'\x03')
        sent_at = time.time()
sys.stdout.write(out.decode('utf8', 'replace'))
if status is not None:
    print('\nEXITED', os.waitstatus_to_exitcode(status), 'after', round(time.time() - (sent_at or time.time()), 2))
else:
    print('\nSTILL RUNNING after Ctrl-C' if sent_at else '\nNO PROMPT')
    os.kill(pid, 9)
