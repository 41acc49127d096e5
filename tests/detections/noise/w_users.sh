set -e
u=vigilnoise$$
useradd -m -s /bin/bash $u
usermod -c "vigil noise" $u
echo "$u:Secret-$$-x" | chpasswd
groupadd ${u}g
gpasswd -a $u ${u}g
userdel -r $u
groupdel ${u}g
