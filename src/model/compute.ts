// What a server offers or a docker session uses: cores, memory, GPUs.
export interface Resources {
  cores: number;
  memory_mb: number;
  gpus: number;
}
