#!/bin/bash
# zsh completion (completion/_dkms), driven as a user drives it: an
# interactive zsh on a pseudo-terminal with compinit, where a line is typed
# with TAB and run.  `dkms` in that shell is a function that prints its
# arguments, so what TAB completed is what it prints; `command dkms`
# (our binary, first in PATH) gives the completion its actions and options.
. "$(dirname "$0")/../lib.sh"
command -v zsh >/dev/null || skip "zsh not installed (scripts/setup-deps.sh)"
mkroot 6.1.0-90-dkmstest 6.12.0-90-dkmstest
fake_added alpha 1.0
fake_added beta 2.1
mkdir -p "$T/bin" "$T/zdot" "$T/img/var/lib/dkms/gamma/3.0" "$T/img/lib/modules/5.10.0-90-dkmstest"
ln -s /usr/src/gamma-3.0 "$T/img/var/lib/dkms/gamma/3.0/source"
ln -s "$DKMS" "$T/bin/dkms"
cat > "$T/zdot/.zshrc" <<EOF
PS1='%% '
fpath=("$SRCDIR/completion" \$fpath)
autoload -Uz compinit && compinit -u -d "$T/zdot/.zcompdump"
dkms() { print -r -- "ARGS:\$*:END" }
EOF

# type LINE: what the dkms function printed after LINE (with its TABs) ran
type_line() {
    PATH="$T/bin:$PATH" ZDOTDIR="$T/zdot" python3 - "$1" <<'PY'
import os, pty, select, sys, time
line = sys.argv[1].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp("zsh", ["zsh", "-i"])
def read_for(secs):
    out, end = b"", time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out
read_for(1.5)
for part in line.split(b"\t")[:-1]:
    os.write(fd, part + b"\t")
    read_for(0.8)
os.write(fd, line.split(b"\t")[-1] + b"\n")
out = read_for(1.5)
os.write(fd, b"exit\n")
read_for(0.3)
text = out.decode(errors="replace")
import re
m = re.findall(r"ARGS:(.*?):END", text)
print(m[-1] if m else "NO-OUTPUT:" + repr(text[-300:]))
PY
}
tree=(--dkmstree "$T/dkms" --installtree "$T/lib/modules")
check() { # expected, typed line
    local got
    got=$(type_line "$2")
    [ "$got" = "$1" ] || fail "zsh completion of '${2//$'\t'/<TAB>}': got '$got', expected '$1'"
}
check "install" "dkms inst	"
check "${tree[*]} install alpha/1.0" "dkms ${tree[*]} install al	"
check "${tree[*]} install -m beta/2.1" "dkms ${tree[*]} install -m b	"
check "${tree[*]} install alpha/1.0 -k 6.12.0-90-dkmstest" "dkms ${tree[*]} install alpha/1.0 -k 6.12	"
check "install --no-depmod" "dkms install --no-d	"
check "--root $T/img install gamma/3.0" "dkms --root $T/img install g	"
check "--root $T/img install gamma/3.0 -k 5.10.0-90-dkmstest" "dkms --root $T/img install gamma/3.0 -k 5	"
echo "zsh completion offers actions, options, modules and kernels"
