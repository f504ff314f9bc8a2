import type { OrganizationConfig } from '../../pipeline/config/organization.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Provisioner } from '../../ports/provisioner.js';
import { CommandProvisioner, type CommandProvisionerOptions } from './command-provisioner.js';
import { RecordProvisioner } from './record-provisioner.js';

/**
 * Picks the provisioner for a manifest kind: the organization's command provisioner when
 * `spec.stackJobs.provisioners.<kind>` is configured, else the built-in `record` provisioner.
 * `options` are passed to command provisioners (temp directory, environment).
 */
export function provisionerFor(
  organization: OrganizationConfig,
  store: ArtifactStore,
  options: Omit<CommandProvisionerOptions, 'where'> = {},
): (kind: string) => Provisioner {
  const record = new RecordProvisioner(store);
  const configured = organization.spec.stackJobs.provisioners;
  return (kind) => {
    const commands = Object.prototype.hasOwnProperty.call(configured, kind) ? configured[kind] : undefined;
    if (!commands) return record;
    return new CommandProvisioner(commands, { ...options, where: `config/organization.yaml: spec.stackJobs.provisioners.${kind}` });
  };
}
