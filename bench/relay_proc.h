/* relay_proc.h: a relay's CPU time from /proc and where it runs, for bench_relay. The relay
 * (Sotto's media worker thread, or the rtpengine process) gets one CPU of its own, the load
 * generator and receiver the others, so "CPU per packet on one relay core" is what is
 * measured and the load does not steal the relay's core (other processes still may: the
 * figures are CPU time, not wall time, for that reason).
 *
 * Included by bench/bench_relay.c only: the bench build makes one program of one source file,
 * so this part lives in a header of static functions rather than in a second .c file. */
#ifndef SOTTO_BENCH_RELAY_PROC_H
#define SOTTO_BENCH_RELAY_PROC_H

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The thread of this process whose name starts with prefix, or -1. */
static int proc_find_thread(const char *prefix)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int tid = -1;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[300], comm[64] = "";
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, prefix, strlen(prefix)))
			tid = atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	return tid;
}

/* Time on a CPU, and time runnable but waiting for one (a busy machine), in ns. */
struct proc_time {
	uint64_t cpu_ns, wait_ns;
};

/* Of thread tid of process pid: schedstat, else utime+stime ticks from stat (no wait). */
static void proc_task_time(int pid, int tid, struct proc_time *t)
{
	char path[64];
	unsigned long long cpu = 0, wait = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	f = fopen(path, "r");
	if (f) {
		int ok = fscanf(f, "%llu %llu", &cpu, &wait) == 2;

		fclose(f);
		if (ok) {
			t->cpu_ns += cpu;
			t->wait_ns += wait;
			return;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "r");
	if (f) {
		char buf[1024];
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		char *p;
		unsigned long ut = 0, st = 0;

		fclose(f);
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
		                &st) == 2)
			t->cpu_ns +=
			    (uint64_t)(ut + st) * 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	}
}

/* One thread (tid > 0), or the sum over all threads of pid (tid 0). */
static struct proc_time proc_time(int pid, int tid)
{
	struct proc_time t = {0};
	char path[64];
	struct dirent *de;
	DIR *d;

	if (tid > 0) {
		proc_task_time(pid, tid, &t);
		return t;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return t;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			proc_task_time(pid, atoi(de->d_name), &t);
	closedir(d);
	return t;
}

/* Where the relay runs (the last CPU allowed to us at start) and the load (the others). */
static struct {
	bool on; /* false with one CPU, or BENCH_RELAY_PIN=0: nothing is pinned */
	int relay_cpu;
	cpu_set_t relay, load;
} proc_cpus_;

/* Call once, before anything is pinned. */
static void proc_cpus_init(void)
{
	const char *pin = getenv("BENCH_RELAY_PIN");
	cpu_set_t all;
	int last = -1;

	if ((pin && *pin && !atoi(pin)) || sched_getaffinity(0, sizeof(all), &all) ||
	    CPU_COUNT(&all) < 2)
		return;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all))
			last = c;
	CPU_ZERO(&proc_cpus_.relay);
	CPU_SET(last, &proc_cpus_.relay);
	proc_cpus_.load = all;
	CPU_CLR(last, &proc_cpus_.load);
	proc_cpus_.relay_cpu = last;
	proc_cpus_.on = true;
}

/* The relay's CPU set, NULL when not pinning. */
static const cpu_set_t *proc_relay_cpus(void) { return proc_cpus_.on ? &proc_cpus_.relay : NULL; }

/* Run thread tid (0: the calling thread, and the threads it starts from now on) on the relay's
 * CPU or on the load's. */
static void proc_pin(int tid, bool relay)
{
	if (proc_cpus_.on)
		(void)sched_setaffinity(tid, sizeof(cpu_set_t),
		                        relay ? &proc_cpus_.relay : &proc_cpus_.load);
}

#endif
