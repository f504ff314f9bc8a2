import { describe, expect, it } from 'vitest';
import { CommandProvisioner } from '../../../../lib/adapters/local/command-provisioner.js';
import { provisionerFor } from '../../../../lib/adapters/local/provisioners.js';
import { RecordProvisioner } from '../../../../lib/adapters/local/record-provisioner.js';
import { parseOrganization } from '../../../../lib/pipeline/config/organization.js';
import { jobFixture } from './harness.js';

const ORGANIZATION = `apiVersion: stageline.dev/v1
kind: Organization
metadata: { name: acme }
spec:
  environments: [{ name: app-dev }]
  stackJobs:
    provisioners:
      KubernetesDeployment: { apply: "deploy {{ .ManifestFile }}" }
`;

describe('provisionerFor', () => {
  it("uses the organization's command for a configured kind and the built-in record provisioner otherwise", async () => {
    const { store } = await jobFixture();
    const pick = provisionerFor(parseOrganization(ORGANIZATION, 'organization.yaml'), store);
    expect(pick('KubernetesDeployment')).toBeInstanceOf(CommandProvisioner);
    expect(pick('AwsEcsService')).toBeInstanceOf(RecordProvisioner);
    expect(pick('constructor')).toBeInstanceOf(RecordProvisioner);
  });
});
