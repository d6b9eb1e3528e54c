/**
 * What a benchmark's sync process measures of itself besides time and RSS:
 * - bytes allocated on the V8 heap (v8.GCProfiler: the used heap before each collection less the used heap after
 *   the one before, plus what the last one left; each collection's cost too), and
 * - with a profile directory, a CPU profile (inspector Profiler) and an allocation profile (sampling heap profiler
 *   that keeps the samples of objects already collected, so it counts every allocation, not what is still alive),
 *   each summed by frame (function, file:line of the TypeScript source) and written as JSON for profile.bench.ts.
 */
import { Session } from "node:inspector/promises";
import { findSourceMap } from "node:module";
import { writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { partOf } from "./profile-parts.js";

/** One frame's self time (ms) or bytes allocated, summed over the profile. */
type FrameSum = { frame: string; where: string; value: number };

/** One frame of a profile: self time (ms) or bytes allocated, with its share of the whole. */
export interface FrameFigure {
  frame: string;
  where: string;
  value: number;
  share: number;
}

export interface ProfileSummary {
  cpu: FrameFigure[];
  allocation: FrameFigure[];
  /** CPU profile: sampled ms in all, and in frames of the garbage collector. */
  sampledMs: number;
  gcSampledMs: number;
  /** Allocation profile: bytes allocated in all (an estimate from samples). */
  sampledBytes: number;
  /** CPU profile: sampled ms by part of the sync (profile-parts.ts), the garbage collector's and `other` too. */
  parts: Record<string, number>;
  /** CPU profile: each part's top frames by self time. */
  partFrames: Record<string, FrameFigure[]>;
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** `file:line` of a frame in the source the developer reads (through tsx's source maps), relative to the repo. */
function whereOf(frame: CallFrame): string {
  if (!frame.url) return "";
  const mapped = (
    frame.url.startsWith("file:")
      ? findSourceMap(fileURLToPath(frame.url))?.findEntry(frame.lineNumber, frame.columnNumber)
      : undefined
  ) as { originalSource?: string; originalLine?: number } | undefined;
  const url = mapped?.originalSource ?? frame.url;
  const line = mapped?.originalLine ?? frame.lineNumber;
  const path = url.startsWith("file:") ? relative(ROOT, fileURLToPath(url)) : url;
  return `${path.replace(/^node_modules\//, "")}:${line + 1}`;
}

function top(byFrame: Map<string, FrameSum>, total: number): FrameFigure[] {
  return [...byFrame.values()]
    .sort((a, b) => b.value - a.value)
    .slice(0, 25)
    .map((f) => ({ ...f, share: f.value / total }));
}

function add(into: Map<string, FrameSum>, frame: CallFrame, value: number): void {
  const where = whereOf(frame);
  const name = frame.functionName || "(anonymous)";
  const key = `${name}@${where}`;
  const entry = into.get(key);
  if (entry) entry.value += value;
  else into.set(key, { frame: name, where, value });
}

interface CpuNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
}
interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

/** Each node's part: its own frame's, else its caller's, up the stack (profile-parts.ts). */
function partsOf(profile: CpuProfile): Map<number, string> {
  const parent = new Map<number, number>();
  const byId = new Map<number, CpuNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const parts = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = parts.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const gc = node?.callFrame.functionName === "(garbage collector)";
    const up = parent.get(id);
    const part = gc ? "gc" : ((node && partOf(whereOf(node.callFrame))) ?? (up === undefined ? "other" : resolve(up)));
    parts.set(id, part);
    return part;
  };
  for (const node of profile.nodes) resolve(node.id);
  return parts;
}

function summarizeCpu(profile: CpuProfile) {
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const partOfNode = partsOf(profile);
  const byFrame = new Map<string, FrameSum>();
  const parts: Record<string, number> = {};
  const framesByPart = new Map<string, Map<string, FrameSum>>();
  let sampledMs = 0;
  let gcSampledMs = 0;
  for (const node of profile.nodes) {
    const ms = (selfUs.get(node.id) ?? 0) / 1000;
    if (ms === 0 || node.callFrame.functionName === "(idle)") continue;
    sampledMs += ms;
    if (node.callFrame.functionName === "(garbage collector)") gcSampledMs += ms;
    add(byFrame, node.callFrame, ms);
    const part = partOfNode.get(node.id) ?? "other";
    parts[part] = (parts[part] ?? 0) + ms;
    const frames = framesByPart.get(part) ?? new Map<string, FrameSum>();
    framesByPart.set(part, frames);
    add(frames, node.callFrame, ms);
  }
  const partFrames = Object.fromEntries([...framesByPart].map(([part, frames]) => [part, top(frames, sampledMs)]));
  return { cpu: top(byFrame, sampledMs), sampledMs, gcSampledMs, parts, partFrames };
}

function summarizeHeap(head: HeapNode) {
  const byFrame = new Map<string, FrameSum>();
  let sampledBytes = 0;
  const walk = (node: HeapNode) => {
    if (node.selfSize > 0) {
      sampledBytes += node.selfSize;
      add(byFrame, node.callFrame, node.selfSize);
    }
    for (const child of node.children) walk(child);
  };
  walk(head);
  return { allocation: top(byFrame, sampledBytes), sampledBytes };
}

/** Heap figures of a measured stretch: bytes allocated and the cost of every collection in it. */
export interface HeapFigures {
  allocatedBytes: number;
  collections: number;
  gcCostMs: number;
  /**
   * The largest heap left after a full (mark-compact) collection: what was alive then, the garbage of the heap's
   * peak aside. 0 when none ran.
   */
  liveAfterFullGcBytes: number;
  fullCollections: number;
}

/**
 * Starts measuring; `stop()` returns the heap figures and, with `profileDir`, writes the profile summary there
 * (profile.json). Source maps must be on (process.setSourceMapsEnabled) for TypeScript lines.
 */
export async function startSyncProfile(profileDir?: string): Promise<{ stop(): Promise<HeapFigures> }> {
  const session = profileDir ? new Session() : undefined;
  if (session) {
    process.setSourceMapsEnabled(true);
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 500 });
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 16 * 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as never);
    await session.post("Profiler.start");
  }
  const gc = new v8.GCProfiler();
  const before = v8.getHeapStatistics().used_heap_size;
  gc.start();
  return {
    async stop() {
      const after = v8.getHeapStatistics().used_heap_size;
      const { statistics } = gc.stop();
      let allocatedBytes = 0;
      let previous = before;
      let gcCostUs = 0;
      let liveAfterFullGcBytes = 0;
      let fullCollections = 0;
      for (const s of statistics) {
        allocatedBytes += s.beforeGC.heapStatistics.usedHeapSize - previous;
        previous = s.afterGC.heapStatistics.usedHeapSize;
        gcCostUs += s.cost;
        if (s.gcType === "MarkSweepCompact") {
          fullCollections++;
          liveAfterFullGcBytes = Math.max(liveAfterFullGcBytes, previous);
        }
      }
      allocatedBytes += after - previous;
      if (session && profileDir) {
        const { profile } = await session.post("Profiler.stop");
        const sampled = await session.post("HeapProfiler.stopSampling");
        session.disconnect();
        const summary: ProfileSummary = {
          ...summarizeCpu(profile as unknown as CpuProfile),
          ...summarizeHeap(sampled.profile.head as unknown as HeapNode),
        };
        await writeFile(join(profileDir, "profile.json"), JSON.stringify(summary));
      }
      return {
        allocatedBytes,
        collections: statistics.length,
        gcCostMs: gcCostUs / 1000,
        liveAfterFullGcBytes,
        fullCollections,
      };
    },
  };
}
