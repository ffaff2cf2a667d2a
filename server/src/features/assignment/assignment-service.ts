import { chooseVariant, hashUnit } from '@vibariant/sdk/core';
import type { Experiment, ExperimentStore } from '../experiments/experiment-store.js';
import type { GoalStore } from '../goals/goal-store.js';
import type { Project } from '../projects/project-store.js';

/** One running experiment as the SDK needs it. */
export interface ConfigExperiment {
  readonly key: string;
  readonly variants: string[];
  /** Allocation weights in variant order, summing to 1. */
  readonly weights: number[];
  readonly allocationVersion: number;
}

/** `GET /v1/config` body. */
export interface SdkConfig {
  readonly projectId: string;
  readonly experiments: ConfigExperiment[];
  /** Keys of the project's confirmed goals. */
  readonly goals: string[];
  readonly autotrack: Record<string, unknown>;
}

export type Assignment =
  | {
      readonly experiment: string;
      readonly variant: string;
      readonly variantIndex: number;
      readonly allocationVersion: number;
      /** 'exposure': the visitor's recorded first exposure; 'hash': the shared assignment. */
      readonly source: 'exposure' | 'hash';
    }
  | {
      readonly experiment: string;
      readonly variant: null;
      readonly reason: 'unknown_experiment' | 'not_running';
    };

/** What the SDK reads: the running experiments' configuration, and server-side assignment. */
export class AssignmentService {
  constructor(
    private readonly experiments: ExperimentStore,
    private readonly goals: GoalStore,
  ) {}

  async config(project: Project): Promise<SdkConfig> {
    const running = await this.experiments.list(project.id, { statuses: ['running'] });
    const goals = await this.goals.list(project.id, { status: 'confirmed' });
    return {
      projectId: project.id,
      experiments: running.map(toConfigExperiment).sort((a, b) => (a.key < b.key ? -1 : 1)),
      goals: goals.map((g) => g.key),
      autotrack: project.autotrack,
    };
  }

  /**
   * Assigns `visitorId` in the given experiments (default: every running one). A visitor with a
   * recorded first exposure keeps that variant; otherwise the variant comes from the same hash
   * and bucketing as the SDK (ASSIGNMENT.md) under the allocation in force.
   */
  async assign(
    project: Project,
    visitorId: string,
    keys?: readonly string[],
  ): Promise<Assignment[]> {
    const experiments = keys
      ? await this.experiments.findByKeys(project.id, keys)
      : await this.experiments.list(project.id, { statuses: ['running'] });
    const byKey = new Map(experiments.map((e) => [e.key, e]));
    const wanted = keys ?? experiments.map((e) => e.key).sort();
    const running = experiments.filter((e) => e.status === 'running');
    const exposed = await this.experiments.exposedVariants(
      running.map((e) => e.id),
      visitorId,
    );
    return wanted.map((key): Assignment => {
      const experiment = byKey.get(key);
      if (!experiment) return { experiment: key, variant: null, reason: 'unknown_experiment' };
      if (experiment.status !== 'running') {
        return { experiment: key, variant: null, reason: 'not_running' };
      }
      const recorded = exposed.get(experiment.id);
      const recordedIndex = experiment.variants.findIndex((v) => v.key === recorded?.variantKey);
      if (recorded && recordedIndex >= 0) {
        return {
          experiment: key,
          variant: recorded.variantKey,
          variantIndex: recordedIndex,
          allocationVersion: recorded.allocationVersion,
          source: 'exposure',
        };
      }
      const index = chooseVariant(hashUnit(visitorId, key), experiment.allocation.weights);
      return {
        experiment: key,
        variant: experiment.variants[index]?.key ?? experiment.variants[0]!.key,
        variantIndex: index,
        allocationVersion: experiment.allocation.version,
        source: 'hash',
      };
    });
  }
}

function toConfigExperiment(e: Experiment): ConfigExperiment {
  return {
    key: e.key,
    variants: e.variants.map((v) => v.key),
    weights: e.allocation.weights,
    allocationVersion: e.allocation.version,
  };
}
