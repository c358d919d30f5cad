#!/usr/bin/env bash
# Builds a minimal busybox root filesystem in DEST from Debian's busybox-static: every applet
# linked, the usual directories, and /etc/passwd, /etc/group and /etc/os-release as a small
# distribution image has them. No libc: the only binary is the static busybox.
set -euo pipefail
dest=${1:?usage: make-busybox-rootfs.sh DEST}
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "make-busybox-rootfs: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
file -L "$busybox" | grep -q 'statically linked' || { echo "make-busybox-rootfs: $busybox is not static" >&2; exit 1; }

mkdir -p "$dest"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,proc,sys,dev,var/tmp,home}
chmod 1777 "$dest/tmp" "$dest/var/tmp"
chmod 700 "$dest/root"
cp "$busybox" "$dest/bin/busybox"
for applet in $("$busybox" --list-full); do
  [ -e "$dest/$applet" ] || ln -s /bin/busybox "$dest/$applet"
done

cat > "$dest/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
PASSWD
cat > "$dest/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:26:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
staff:x:50:
games:x:60:
users:x:100:
nogroup:x:65534:
GROUP
cat > "$dest/etc/os-release" <<'OSREL'
NAME="BusyBox"
ID=busybox
PRETTY_NAME="BusyBox (Sockerless test image)"
OSREL
echo "127.0.0.1 localhost" > "$dest/etc/hosts"
