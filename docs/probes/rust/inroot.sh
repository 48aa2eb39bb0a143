#!/bin/bash
# Run a command inside the probe root (mounts /proc and /dev in a private mount namespace).
R=/var/tmp/probe/root
exec unshare --mount --propagation private bash -c '
R=/var/tmp/probe/root
mount -t proc proc $R/proc
mount --rbind /dev $R/dev 2>/dev/null || true
exec chroot $R /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 SSL_CERT_FILE=/etc/ssl/certs/kiln-host-ca.crt bash -c "$1"' _ "$1"
