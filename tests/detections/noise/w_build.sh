set -e
rm -rf /tmp/x
git clone -q $VIGIL_SRC /tmp/x
cd /tmp/x
export CCACHE_BASEDIR=/tmp/x
meson setup build > $OUT/build-setup.log
meson compile -C build > $OUT/build-compile.log
ls -la build/vigil
