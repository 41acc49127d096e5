set -e
apt-get update -qq
apt-get install -y -qq -o DPkg::Lock::Timeout=600 cowsay
/usr/games/cowsay moo
apt-get remove -y -qq -o DPkg::Lock::Timeout=600 cowsay
apt-get purge -y -qq -o DPkg::Lock::Timeout=600 cowsay
