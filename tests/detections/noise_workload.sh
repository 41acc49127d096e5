#!/bin/sh
# noise_workload.sh DIR — normal administration that vigil's default rules must not alert on
# (issue 14, "noise stays at zero"); run by default_rules_noise_test.cpp under the probes.
#   1. build a small .deb with dpkg-deb whose files land where the persistence rules look
#      (/etc/cron.d, /etc/profile.d, /lib/systemd/system, /etc/sudoers.d), install it with
#      dpkg -i (maintainer scripts chmod and rewrite them), then purge it with dpkg -P;
#   2. a small meson + gcc build in DIR (meson's compiler sanity checks run from DIR);
#   3. git work: init, add, commit, log, gc.
# Everything it creates is under DIR or removed by the purge. Exit status: 0 when every step
# succeeded (the test fails otherwise: a workload that did not run proves nothing).
set -eu
dir=$1
tag=vigil-noise-$(basename "$dir" | tr -cd 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
pkg=$dir/pkg

# ---- 1. package install and removal
mkdir -p "$pkg/DEBIAN" "$pkg/etc/cron.d" "$pkg/etc/profile.d" "$pkg/lib/systemd/system" \
         "$pkg/etc/sudoers.d" "$pkg/usr/share/doc/$tag"
cat > "$pkg/DEBIAN/control" <<CTL
Package: $tag
Version: 1.0
Architecture: all
Maintainer: vigil tests <tests@vigil.invalid>
Description: vigil noise test package (removed by the test)
CTL
printf '/etc/cron.d/%s\n/etc/profile.d/%s.sh\n/etc/sudoers.d/%s\n' "$tag" "$tag" "$tag" > "$pkg/DEBIAN/conffiles"
printf '# %s: no job\n' "$tag" > "$pkg/etc/cron.d/$tag"
printf '# %s\n' "$tag" > "$pkg/etc/profile.d/$tag.sh"
printf '# %s\n' "$tag" > "$pkg/etc/sudoers.d/$tag"
chmod 0440 "$pkg/etc/sudoers.d/$tag"
printf '[Unit]\nDescription=%s\n[Service]\nExecStart=/bin/true\n' "$tag" > "$pkg/lib/systemd/system/$tag.service"
printf '%s\n' "$tag" > "$pkg/usr/share/doc/$tag/README"
cat > "$pkg/DEBIAN/postinst" <<POST
#!/bin/sh
set -e
chmod 0644 /etc/cron.d/$tag
sed -i 's/no job/still no job/' /etc/cron.d/$tag
exit 0
POST
chmod 0755 "$pkg/DEBIAN/postinst"
dpkg-deb --root-owner-group -b "$pkg" "$dir/$tag.deb" >/dev/null

# dpkg takes a lock other engineers' apt/dpkg runs may hold: retry for up to 5 minutes.
dpkg_retry() {
  i=0
  until dpkg "$@" >"$dir/dpkg.log" 2>&1; do
    i=$((i + 1))
    if [ $i -ge 150 ] || ! grep -qi lock "$dir/dpkg.log"; then cat "$dir/dpkg.log" >&2; return 1; fi
    sleep 2
  done
}
dpkg_retry -i "$dir/$tag.deb"
test -f "/etc/cron.d/$tag"
dpkg_retry -P "$tag"
test ! -e "/etc/cron.d/$tag"

# ---- 2. meson + gcc build
src=$dir/src
mkdir -p "$src"
cat > "$src/meson.build" <<'MB'
project('noise', 'c')
executable('hello', 'hello.c')
MB
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' > "$src/hello.c"
(cd "$src" && meson setup b >/dev/null && meson compile -C b >/dev/null)
test -x "$src/b/hello"
cc -O2 -o "$dir/hello2" "$src/hello.c"

# ---- 3. git work
(cd "$src" && git init -q . && git add meson.build hello.c \
  && git -c user.email=t@vigil.invalid -c user.name=vigil commit -qm "noise test" \
  && echo '/* x */' >> hello.c && git -c user.email=t@vigil.invalid -c user.name=vigil commit -qam "edit" \
  && git log --oneline >/dev/null && git gc -q)
exit 0
