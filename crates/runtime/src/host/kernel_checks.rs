//! Kernel hardening for containers: an enforcing LSM, seccomp, user namespaces, cgroup v2,
//! two sysctls, and the kernel version against known container escapes.

use drydock_model::RuleInfo;

use super::fs::HostFs;
use super::rules;
use super::{HostCheck, Status};
use crate::kernel::{KNOWN_ESCAPES, KernelVersion};

pub fn checks(fs: &HostFs) -> Vec<HostCheck> {
    let mut results = vec![
        lsm(fs),
        seccomp(fs),
        user_namespaces(fs),
        cgroup_v2(fs),
        sysctl_at_least(fs, &rules::UNPRIVILEGED_BPF, "kernel/unprivileged_bpf_disabled", 1),
        sysctl_at_least(fs, &rules::KPTR_RESTRICT, "kernel/kptr_restrict", 1),
    ];
    results.extend(kernel_escapes(fs));
    results
}

fn unreadable(rule: &RuleInfo, path: &str) -> HostCheck {
    HostCheck::new(rule, Status::Info, format!("{path} cannot be read under this root")).on(path)
}

fn lsm(fs: &HostFs) -> HostCheck {
    if let Some(enforce) = fs.read_value("/sys/fs/selinux/enforce") {
        return match enforce.as_str() {
            "1" => HostCheck::new(&rules::LSM, Status::Pass, "SELinux is enforcing"),
            _ => HostCheck::new(
                &rules::LSM,
                Status::Warn,
                "SELinux is permissive: it logs but does not block",
            ),
        };
    }
    if fs.read_value("/sys/module/apparmor/parameters/enabled").as_deref() == Some("Y") {
        let profiles = fs.read("/sys/kernel/security/apparmor/profiles").unwrap_or_default();
        let enforcing = profiles.lines().filter(|line| line.ends_with("(enforce)")).count();
        return if enforcing > 0 {
            HostCheck::new(
                &rules::LSM,
                Status::Pass,
                format!("AppArmor is enabled with {enforcing} enforcing profiles"),
            )
        } else {
            HostCheck::new(&rules::LSM, Status::Warn, "AppArmor is enabled but no profile enforces")
        };
    }
    if !fs.exists("/sys/module") && !fs.exists("/sys/kernel") {
        return unreadable(&rules::LSM, "/sys");
    }
    HostCheck::new(
        &rules::LSM,
        Status::Fail,
        "neither SELinux nor AppArmor is enabled: containers have no mandatory access control",
    )
}

fn seccomp(fs: &HostFs) -> HostCheck {
    let path = "/proc/sys/kernel/seccomp/actions_avail";
    match fs.read_value(path) {
        Some(actions) => HostCheck::new(&rules::SECCOMP, Status::Pass, format!("seccomp actions: {actions}")),
        None if fs.exists("/proc/sys/kernel") => HostCheck::new(
            &rules::SECCOMP,
            Status::Fail,
            "the kernel has no seccomp filter support",
        ),
        None => unreadable(&rules::SECCOMP, path),
    }
}

fn user_namespaces(fs: &HostFs) -> HostCheck {
    let path = "/proc/sys/user/max_user_namespaces";
    match fs.read_value(path).map(|v| v.parse::<u64>()) {
        Some(Ok(0)) => HostCheck::new(&rules::USER_NAMESPACES, Status::Warn, "max_user_namespaces is 0"),
        Some(Ok(n)) => HostCheck::new(
            &rules::USER_NAMESPACES,
            Status::Pass,
            format!("max_user_namespaces is {n}"),
        ),
        Some(Err(_)) => HostCheck::new(&rules::USER_NAMESPACES, Status::Warn, format!("{path} is not a number")),
        None => unreadable(&rules::USER_NAMESPACES, path),
    }
}

fn cgroup_v2(fs: &HostFs) -> HostCheck {
    if fs.exists("/sys/fs/cgroup/cgroup.controllers") {
        HostCheck::new(
            &rules::CGROUP_V2,
            Status::Pass,
            "the unified cgroup v2 hierarchy is mounted",
        )
    } else if fs.exists("/sys/fs/cgroup") {
        HostCheck::new(
            &rules::CGROUP_V2,
            Status::Warn,
            "cgroup v1 (or hybrid): release_agent is an escape path for containers with CAP_SYS_ADMIN",
        )
    } else {
        unreadable(&rules::CGROUP_V2, "/sys/fs/cgroup")
    }
}

fn sysctl_at_least(fs: &HostFs, rule: &RuleInfo, name: &str, minimum: u64) -> HostCheck {
    let path = format!("/proc/sys/{name}");
    let key = name.replace('/', ".");
    let result = match fs.read_value(&path).map(|v| v.parse::<u64>()) {
        Some(Ok(value)) if value >= minimum => HostCheck::new(rule, Status::Pass, format!("{key} = {value}")),
        Some(Ok(value)) => HostCheck::new(rule, Status::Fail, format!("{key} = {value}")),
        Some(Err(_)) => HostCheck::new(rule, Status::Warn, format!("{key} is not a number")),
        None => return unreadable(rule, &path),
    };
    result.on(key)
}

/// One result per known escape.
fn kernel_escapes(fs: &HostFs) -> Vec<HostCheck> {
    let path = "/proc/sys/kernel/osrelease";
    let Some(release) = fs.read_value(path) else {
        return vec![unreadable(&rules::KERNEL_ESCAPE, path)];
    };
    let Some(version) = KernelVersion::parse(&release) else {
        return vec![
            HostCheck::new(
                &rules::KERNEL_ESCAPE,
                Status::Warn,
                format!("kernel release `{release}` has no version number"),
            )
            .on(path),
        ];
    };
    KNOWN_ESCAPES
        .iter()
        .map(|escape| {
            let result = if escape.affects(version) {
                HostCheck::new(
                    &rules::KERNEL_ESCAPE,
                    Status::Warn,
                    format!(
                        "{release} is in the affected range of {} ({}) unless the distribution backported the fix; reachable with: {}",
                        escape.cve, escape.name, escape.condition
                    ),
                )
            } else {
                HostCheck::new(&rules::KERNEL_ESCAPE, Status::Pass, format!("{release} is not affected"))
            };
            result.on(escape.cve)
        })
        .collect()
}
