# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plots of ``make bench``: ``benchmarks/memory.png`` and ``benchmarks/requests.png``.

Runs with the Python of ``benchmarks/output/venv-plot`` (matplotlib, pinned in
``benchmarks/requirements-plot.txt``; benchmarks/bench.py creates it), from the latest raw results
in ``benchmarks/output/``: peak RSS of the module process against the size of what it downloads
(artifacts and job logs), and requests of the unchanged variables run against N for both tools.
Usage: ``plot.py OUTPUT_DIR MEMORY_PNG REQUESTS_PNG``; prints the PNGs it wrote.
"""

import json
import os
import statistics
import sys

import matplotlib

matplotlib.use('Agg')
from matplotlib import pyplot  # noqa: E402  pylint: disable=wrong-import-position

MIB = 1 << 20
MEMORY_LIMIT_MIB = 100


def load(output, part):
    path = os.path.join(output, 'latest-%s.json' % part)
    if not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def errors(series):
    """Medians and the distances to min and max, for ``errorbar``."""
    medians = [statistics.median(values) for values in series]
    return medians, [[m - min(v) for m, v in zip(medians, series)], [max(v) - m for m, v in zip(medians, series)]]


def size_label(size):
    if size >= 1024 * MIB:
        return '%g GiB' % (size / 1024.0 / MIB)
    if size >= MIB:
        return '%g MiB' % round(size / MIB)
    if size >= 1024:
        return '%g KiB' % round(size / 1024.0)
    return '%d B' % size


def memory_plot(artifacts, logs, path):
    figure, axes = pyplot.subplots(figsize=(7, 4.2), dpi=110)
    if artifacts:
        entries = sorted(artifacts['summary']['sizes'].values(), key=lambda e: e['size'])
        medians, spread = errors([e['rss'] for e in entries])
        axes.errorbar([e['size'] for e in entries], medians, yerr=spread, marker='o', capsize=3,
                      label='artifacts_dest (artifact archive), %d runs each' % entries[0]['runs'])
        for entry, median in zip(entries, medians):
            axes.annotate('%.1f' % median, (entry['size'], median), textcoords='offset points', xytext=(0, 8), ha='center', fontsize=8)
    if logs:
        entries = [logs['samples'][name] for name in ('tiny', 'big')]
        medians, spread = errors([[s['maxrss_mib'] for s in runs] for runs in entries])
        axes.errorbar([runs[0]['size'] for runs in entries], medians, yerr=spread, marker='s', capsize=3, linestyle='--',
                      label='log_dest (job log), %d runs each' % len(entries[0]))
        for runs, median in zip(entries, medians):
            axes.annotate('%.1f (%s log)' % (median, size_label(runs[0]['size'])), (runs[0]['size'], median), textcoords='offset points',
                          xytext=(0, -14), ha='center', fontsize=8)
    axes.axhline(MEMORY_LIMIT_MIB, color='red', linestyle=':', label='target: under %d MiB' % MEMORY_LIMIT_MIB)
    axes.set_xscale('log')
    ticks = [10, 1024, MIB, 10 * MIB, 100 * MIB, 1024 * MIB]
    axes.set_xticks(ticks)
    axes.set_xticklabels([size_label(t) for t in ticks], fontsize=8)
    axes.set_ylim(0, MEMORY_LIMIT_MIB * 1.15)
    axes.set_xlabel('size of the download (log scale)')
    axes.set_ylabel('peak RSS of the module process (MiB)')
    axes.set_title('cicd.gitlab.gitlab_ci_job: module peak memory against download size\n(median, min–max bars)', fontsize=10)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8, loc='center right')
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def requests_plot(variables, path):
    figure, axes = pyplot.subplots(figsize=(7, 4.2), dpi=110)
    sweep = sorted(variables['summary']['sweep'].values(), key=lambda e: e['n'])
    sizes = [e['n'] for e in sweep]
    for key, label, marker in (('cg', 'community.general.gitlab_project_variable', 's'), ('ours', 'cicd.gitlab.gitlab_ci_variable', 'o')):
        counts = [statistics.median(e[key]) for e in sweep]
        axes.plot(sizes, counts, marker=marker, label=label)
        for size, count in zip(sizes, counts):
            axes.annotate('%d' % count, (size, count), textcoords='offset points', xytext=(0, 7), ha='center', fontsize=8)
    axes.plot(sizes, [e['target'] for e in sweep], color='red', linewidth=7, alpha=0.25, zorder=1, label='target: ceil(N/100)')
    axes.set_xticks(sizes)
    axes.set_ylim(0, max(max(e['cg'] + e['ours']) for e in sweep) * 1.25)
    axes.set_xlabel('N, variables in the project and in the task')
    axes.set_ylabel('HTTP requests per run')
    axes.set_title('Unchanged run of one task declaring N variables: requests per run\n(the fake GitLab\'s journal; median of %d runs)' % len(
        sweep[0]['ours']), fontsize=10)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8, loc='upper left')
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def main(argv):
    output, memory_png, requests_png = argv
    artifacts, logs, variables = load(output, 'artifacts'), load(output, 'logs'), load(output, 'variables')
    if artifacts or logs:
        memory_plot(artifacts, logs, memory_png)
        print(memory_png)
    if variables:
        requests_plot(variables, requests_png)
        print(requests_png)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
