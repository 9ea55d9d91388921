#!/usr/bin/env python3
"""Copies the captures the Kubernetes driver's tests use out of the shared golden data
(../../../../shared/data/kubernetes-api/responses.json.gz, a real kube-apiserver 1.32) and derives
the failing pods from the captured running one.

The capture had no kubelet (a stand-in set the Running status), so the failure pods are made here:
the captured pod with its `status` replaced by what a kubelet and a scheduler write for each case
(field names and reason strings from the core/v1 API: ContainerStateWaiting.reason,
ContainerStateTerminated.reason, PodCondition PodScheduled=False reason Unschedulable)."""
import copy, gzip, json, pathlib, sys

here = pathlib.Path(__file__).resolve().parent
source = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                      "/work/shared/data/kubernetes-api/responses.json.gz")
cases = json.load(gzip.open(source))

def write(name, value):
    (here / name).write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")

def write_lines(name, events):
    (here / name).write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events))

pods = cases["list-pods-by-label-200"]["body"]
write("pods-list-running.json", pods)
write("deployment-create-request.json", cases["create-deployment-201"]["request"]["body"])
write("service-create-request.json", cases["create-service-201"]["request"]["body"])
write("deployment-get.json", cases["get-deployment-200"]["body"])
write("scale-patch-answer.json", cases["scale-merge-patch-200"]["body"])
write_lines("watch-pods-bookmarks.jsonl", cases["watch-pods-with-bookmarks"]["events"])
write_lines("watch-too-old-410.jsonl", [cases["watch-too-old-410"]["body"]])
for name in ["forbidden-nodes-403", "unauthorized-401", "missing-namespace-404",
             "create-deployment-conflict-409", "create-service-invalid-422"]:
    write(f"status-{name}.json", cases[name]["body"])

running = pods["items"][0]

def pod_with(status):
    pod = copy.deepcopy(running)
    pod["metadata"].pop("managedFields", None)
    pod["status"] = status
    return pod

def waiting(reason, message, restarts=0, last=None):
    container = {"name": "session", "image": running["spec"]["containers"][0]["image"], "imageID": "",
                 "ready": False, "restartCount": restarts, "started": False,
                 "state": {"waiting": {"reason": reason, "message": message}}}
    if last:
        container["lastState"] = {"terminated": last}
    return {"phase": "Pending" if restarts == 0 else "Running", "hostIP": "10.0.0.5", "podIP": "10.244.0.7",
            "conditions": [{"type": "PodScheduled", "status": "True"},
                           {"type": "Ready", "status": "False", "reason": "ContainersNotReady",
                            "message": "containers with unready status: [session]"}],
            "containerStatuses": [container]}

write("pod-image-pull-backoff.json", pod_with(waiting(
    "ImagePullBackOff", 'Back-off pulling image "lscr.io/linuxserver/firefox:nope"')))
write("pod-err-image-pull.json", pod_with(waiting(
    "ErrImagePull", 'failed to pull and unpack image "lscr.io/linuxserver/firefox:nope": not found')))
write("pod-crash-loop.json", pod_with(waiting(
    "CrashLoopBackOff", "back-off 40s restarting failed container=session pod=ss-demo-1-84f9c8ff9-qc986",
    restarts=3, last={"exitCode": 1, "reason": "Error", "startedAt": "2026-12-03T10:26:00Z",
                      "finishedAt": "2026-12-03T10:26:01Z"})))
write("pod-oom-killed.json", pod_with(waiting(
    "CrashLoopBackOff", "back-off 10s restarting failed container=session pod=ss-demo-1-84f9c8ff9-qc986",
    restarts=1, last={"exitCode": 137, "reason": "OOMKilled", "startedAt": "2026-12-03T10:26:00Z",
                      "finishedAt": "2026-12-03T10:26:05Z"})))
write("pod-unschedulable.json", pod_with({
    "phase": "Pending",
    "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                    "message": "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are "
                               "available: 3 No preemption victims found for incoming pod."}]}))
write("pod-pending-creating.json", pod_with(waiting("ContainerCreating", "")))
