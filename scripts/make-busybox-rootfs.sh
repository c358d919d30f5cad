#!/usr/bin/env bash
# Builds a busybox root filesystem in DEST from Debian's busybox-static, laid out like the official
# busybox image: every applet in /bin (as a symlink to /bin/busybox), /usr/bin/env, buildroot's
# /etc/passwd, /etc/group and /etc/shadow, the home directories those name, /tmp with mode 1777,
# /etc/localtime (UTC) and /etc/os-release. No libc: the only binary is the static busybox.
# /etc/hosts, /etc/hostname and /etc/resolv.conf are left to the runtime, as in the official image.
#
# Reproducible: every mtime is SOURCE_DATE_EPOCH (default 2024-01-01T00:00:00Z), every mode is set
# explicitly. Ownership of the home directories (as in the official image) is applied when run as
# root; scripts/build-test-images.sh sets the same owners in the image layer either way.
set -euo pipefail
dest=${1:?usage: make-busybox-rootfs.sh DEST}
busybox=${BUSYBOX:-/bin/busybox}
epoch=${SOURCE_DATE_EPOCH:-1704067200}
[ -x "$busybox" ] || { echo "make-busybox-rootfs: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
file -L "$busybox" | grep -q 'statically linked' || { echo "make-busybox-rootfs: $busybox is not static" >&2; exit 1; }
busybox=$(realpath "$busybox")

mkdir -p "$dest"
cd "$dest"
mkdir -p bin dev etc home lib proc root sys tmp usr/bin usr/sbin var/spool/mail var/www
chmod 755 bin dev etc home lib proc sys usr usr/bin usr/sbin var var/spool var/spool/mail var/www
chmod 1777 tmp
chmod 700 root
cp -f "$busybox" bin/busybox
chmod 755 bin/busybox
for applet in $("$busybox" --list); do
  [ -e "bin/$applet" ] || [ -L "bin/$applet" ] || ln -s /bin/busybox "bin/$applet"
done
[ -L usr/bin/env ] || ln -s ../../bin/env usr/bin/env

# buildroot's system/skeleton, which the official image installs; root's password is locked.
cat > etc/passwd <<'PASSWD'
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
cat > etc/group <<'GROUP'
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
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
GROUP
cat > etc/shadow <<'SHADOW'
root:*:::::::
daemon:*:::::::
bin:*:::::::
sys:*:::::::
sync:*:::::::
mail:*:::::::
www-data:*:::::::
operator:*:::::::
nobody:*:::::::
SHADOW
help=$("$busybox" --help 2>&1 || true)
version=$(sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p' <<<"$help")
cat > etc/os-release <<OSREL
NAME="BusyBox"
ID=busybox
VERSION_ID=${version:-unknown}
PRETTY_NAME="BusyBox v${version:-unknown} (Sockerless test image)"
HOME_URL="https://busybox.net/"
OSREL
chmod 644 etc/passwd etc/group etc/os-release
chmod 600 etc/shadow
if [ -f /usr/share/zoneinfo/UTC ]; then
  cp -f /usr/share/zoneinfo/UTC etc/localtime
  chmod 644 etc/localtime
fi

# Home directories belong to their accounts, as the official image's build leaves them.
if [ "$(id -u)" -eq 0 ]; then
  chown 1:1 usr/sbin
  chown 8:8 var/spool/mail
  chown 33:33 var/www
  chown 65534:65534 home
fi

find . -exec touch -h -d "@$epoch" {} +
