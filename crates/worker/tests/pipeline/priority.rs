//! The worker's CPU priority, read back from the kernel: every thread at niceness 19, and its
//! session (autogroup) lowered only when the worker leads one of its own.

use crate::helpers::*;

/// The niceness of every thread of a process, from `/proc/{pid}/task/*/stat`.
fn niceness(pid: u32) -> Vec<i32> {
    let mut found = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).expect("the worker's threads") {
        let stat = std::fs::read_to_string(task.expect("task").path().join("stat")).expect("stat");
        // The fields after the command name, which may hold spaces: the state is field 3.
        let fields: Vec<&str> = stat[stat.rfind(')').expect("comm") + 2..]
            .split(' ')
            .collect();
        found.push(fields[19 - 3].parse().expect("nice"));
    }
    found
}

fn autogroup(pid: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/autogroup"))
        .expect("this kernel has autogroup scheduling")
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_worker_thread_runs_at_niceness_19_leaving_a_shared_session_alone() {
    let stack = Stack::new(|s| s.jobs.nice = 19).await;
    let ours = autogroup("self");
    let worker = stack.spawn_worker();
    let threads = niceness(worker.child.id());
    assert!(threads.len() > 2, "the runtime's threads: {threads:?}");
    assert!(threads.iter().all(|nice| *nice == 19), "{threads:?}");
    // Its parent's session: lowering it would slow this test process down too.
    assert_eq!(autogroup(&worker.child.id().to_string()), ours);
    assert!(!ours.ends_with("nice 19"), "{ours}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_leading_its_session_lowers_the_session_too() {
    let stack = Stack::new(|s| s.jobs.nice = 19).await;
    let worker = stack.spawn_worker_in_own_session();
    let group = autogroup(&worker.child.id().to_string());
    assert_ne!(group, autogroup("self"));
    assert!(group.ends_with("nice 19"), "{group}");
    assert!(niceness(worker.child.id()).iter().all(|nice| *nice == 19));
}

#[tokio::test(flavor = "multi_thread")]
async fn niceness_0_leaves_the_worker_as_it_was_started() {
    let stack = Stack::new(|s| s.jobs.nice = 0).await;
    let worker = stack.spawn_worker_in_own_session();
    assert!(autogroup(&worker.child.id().to_string()).ends_with("nice 0"));
    assert!(niceness(worker.child.id()).iter().all(|nice| *nice == 0));
}
