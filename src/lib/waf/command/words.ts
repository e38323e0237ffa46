/**
 * Vocabulary of the command injection detector (`../command.ts`), written for this filter:
 * reconnaissance commands, Unix tools, names that are also ordinary words, cmd.exe and Windows
 * programs, attack-typical programs, network clients, prefixes and runners, shells, and the
 * names and path segments globs are compared with.
 */

const words = (s: string): string[] => s.trim().split(/\s+/);

/** Reconnaissance commands: on their own after a separator they are a probe (`;id`, `| whoami`). */
export const RECON = new Set(
  words(`
  id whoami uname ifconfig ipconfig hostname netstat pwd groups lsb_release getent printenv env ps arp lsof uptime
  who lastlog lastlogin users ss nproc lscpu lsblk hostid logname systeminfo sysinfo tasklist ver nltest quser qwinsta
  net set ls dir w last history htop top df mount
`),
);

/**
 * Unix programs that are not words of ordinary language: in command position they mean a shell.
 * (Versioned forms such as `python3.10`, `gcc10.1`, `php7` are reduced to these.)
 */
export const TOOLS = new Set(
  words(`
  ls id whoami uname ifconfig hostname netstat printenv getent lsof lsb_release arp nproc lscpu lsblk hostid logname pwd
  wget curl nc ncat netcat socat telnet nslookup dig traceroute tracepath tftp scp ssh sftp rsync ftp nmap masscan tcpdump
  bash sh zsh ksh dash csh tcsh ash busybox python python2 python3 perl ruby irb php lua luajit node nodejs deno bun
  jrunscript jjs jshell groovy tclsh wish gawk awk mawk nawk sed gsed
  chmod chown chgrp chattr lsattr rm rmdir mkdir mv cp ln mkfifo mknod shred unlink truncate install
  base64 base32 basenc xxd hexdump od strings tac rev nl
  gzip gunzip zcat bzip2 bunzip2 bzcat xz unxz xzcat lzma zstd zstdcat unzstd lz4 lz4cat tar bsdtar cpio unzip 7z 7za ar
  pkill killall pgrep nohup setsid disown strace ltrace gdb lldb perf valgrind timeout cpulimit ionice chrt taskset
  crontab atq atrm batch systemctl service journalctl sysctl modprobe insmod rmmod lsmod dmesg
  sudo su doas pkexec visudo passwd chpasswd useradd userdel usermod adduser deluser groupadd newgrp
  openssl gpg keytool certutil ssh-keygen ssh-keyscan
  xargs env exec eval printf echo grep egrep fgrep rgrep zgrep find locate updatedb which whereis readlink realpath stat file
  head tail more less cat sort uniq cut tr wc tee dd split paste join comm fold column expand unexpand fmt pr
  gcc g++ cc c89 c99 clang tcc make cmake ld as ldd objdump readelf nm
  apt apt-get aptitude dpkg yum dnf rpm zypper apk pacman pip pip3 npm npx gem cargo composer snap flatpak
  docker podman kubectl crictl ctr runc lxc virsh
  ansible ansible-playbook ansible-galaxy ansible-vault ansible-config ansible-console ansible-doc ansible-inventory ansible-pull
  chef chef-client chef-shell chef-solo chef-run chef-vault knife puppet salt salt-call terraform vagrant cscli
  rmt rmt-tar rmt-dump restore dump tar flock
  aa-disable aa-enforce aa-complain aa-exec
  lastlog lastlogin last who w finger htop top iotop ps pstree
  shutdown reboot halt poweroff init telinit
  mysql psql sqlite3 redis-cli mongo mongosh
  msfconsole msfvenom hydra sqlmap nikto john hashcat
  uptime free df du mount umount losetup fdisk mkfs
  alias unalias trap export unset source history declare typeset readonly let ulimit umask
  time nice renice watch script expect screen tmux
  mail sendmail mailx mutt
  ping ping6 arping route ip ss iptables ip6tables nft ufw firewall-cmd
  test true false yes sleep kill cd touch
`),
);

/** Programs whose names are also ordinary words (in some language): they need stronger evidence. */
export const WORDY = new Set(
  words(`
  cat more less find sort cut time set who last free test yes true false type copy del dir ver net echo sleep head tail
  kill file make mail script source history jobs host ping curl node java ruby perl python chef column fold comm join
  paste split expand trap flock rev tac nl od tee nice watch wall write look at cd sc reg start call exit go w top
  touch mount dump restore batch salt finger expect screen install let declare alias export unset as ar ld nm pr fmt
  dig ssh ftp ip route find locate which stat readonly umask shutdown halt init service apt snap make gem cargo
  john hydra puppet knife restore init tar zip link date vi cal bc dc env ps df du id
`),
);

/** cmd.exe and Windows programs (matched in any case). */
export const WINDOWS = new Set(
  words(`
  cmd command powershell pwsh whoami ipconfig systeminfo sysinfo tasklist taskkill net net1 netsh netstat reg regedit
  wmic certutil bitsadmin mshta rundll32 regsvr32 cscript wscript schtasks sc type dir ver nltest dsquery qwinsta quser
  findstr del erase copy xcopy robocopy attrib icacls cacls takeown vssadmin wevtutil bcdedit bcdboot diskpart format
  shutdown tree more ping nslookup tracert arp route hostname set echo start call cd chdir md mkdir rd rmdir ren move
  msiexec forfiles cmdkey klist setspn gpresult fsutil mountvol esentutl ntdsutil wusa pnputil driverquery openfiles
  curl tar timeout
`),
);
/** cmd.exe built-in commands (their name ends at `+`, `,`, `;`, `=` as at a space). */
export const CMD_BUILTINS = new Set(
  words("dir type echo cd chdir copy del erase md mkdir rd rmdir ren move set start call ver"),
);
/** Windows programs that are not words. */
export const WINDOWS_TOOLS = new Set(
  words(`
  powershell pwsh whoami ipconfig systeminfo sysinfo tasklist taskkill netsh reg regedit wmic certutil bitsadmin mshta
  rundll32 regsvr32 cscript wscript schtasks nltest dsquery qwinsta quser findstr xcopy robocopy icacls cacls takeown
  vssadmin wevtutil bcdedit bcdboot diskpart tracert msiexec forfiles cmdkey klist setspn gpresult fsutil mountvol
  esentutl ntdsutil wusa pnputil driverquery openfiles net1
`),
);

/**
 * Programs whose use in a request is attack-typical whatever their arguments: reconnaissance,
 * remote shells, accounts and privileges, orchestration and tracing tools. Developer tools
 * (`git`, `npm`, `pip`, `python -m venv`, `ls -la`, `awk`) are not here: posted snippets use them,
 * so they need dangerous arguments (system paths, downloads, reverse shells) to count.
 */
export const DANGER = new Set(
  words(`
  id whoami uname ifconfig netstat getent printenv lsof arp lastlog lastlogin nltest
  nc ncat netcat socat telnet tftp wget passwd chpasswd useradd userdel usermod adduser deluser visudo pkexec crontab
  base32 mkfifo mknod killall pkill shutdown reboot halt poweroff
  ansible ansible-playbook ansible-galaxy ansible-vault ansible-config ansible-console ansible-doc ansible-inventory ansible-pull
  chef-client chef-shell chef-solo chef-run chef-vault knife salt-call cscli gdb strace ltrace perf cpulimit
  rmt rmt-tar rmt-dump aa-disable aa-enforce aa-complain aa-exec aptitude htop msfconsole msfvenom jrunscript jjs
  whoami ipconfig systeminfo sysinfo tasklist taskkill netsh reg regedit wmic certutil bitsadmin mshta rundll32 regsvr32
  schtasks vssadmin wevtutil bcdedit bcdboot icacls cacls takeown dsquery qwinsta quser cmdkey klist setspn ntdsutil net1
`),
);
/** Programs that fetch from or connect to a host: a URL or address after them is a download or a connection. */
export const NETWORK = new Set(
  words(
    "wget curl nc ncat netcat socat telnet tftp ftp scp sftp rsync ssh fetch lwp-download iwr irm certutil bitsadmin",
  ),
);

/** Prefixes that run the command after them (`time id`, `nohup nc …`, `sudo -u root sh`). */
export const PREFIXES = new Set(
  words(
    "time nohup sudo doas strace ltrace nice ionice timeout exec command builtin xargs busybox setsid env stdbuf unbuffer watch chroot cpulimit flock taskset chrt proxychains torsocks",
  ),
);

/** Prefixes that only wrap a process (`time`, `nohup`, `strace`): what they run is attack-typical when it is a tool. */
export const RUNNERS = new Set(
  words("time nohup strace ltrace setsid busybox cpulimit stdbuf unbuffer torsocks proxychains"),
);

/** Shells and interpreters: with nothing after them they still start a program. */
export const SHELLS = new Set(
  words(
    "sh bash zsh ksh dash csh tcsh ash fish busybox python python2 python3 perl ruby irb php lua node nc ncat netcat socat telnet cmd powershell pwsh",
  ),
);

/** Names a glob (`/???/c?t`, `/bin/[c]at`) is compared with. */
export const GLOB_COMMANDS = words(
  "cat nc id ls sh bash dash zsh wget curl python python3 perl php ruby whoami uname base64 ncat netcat telnet socat ifconfig hostname nslookup ping head tail more less tac rev nl od xxd strings sed awk grep find chmod rm cp mv busybox env printenv getent passwd",
);
/** Path segments of system locations and sensitive files, for globbed paths (`/e??/pa[s]swd`). */
export const GLOB_SEGMENTS = words(
  "etc bin sbin usr lib lib64 tmp var dev proc sys home root boot opt srv run local passwd shadow group hosts hostname issue sudoers crontab environ cmdline id_rsa authorized_keys bash_history motd resolv.conf self fd tcp udp log www html",
);
