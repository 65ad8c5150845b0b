// The sbatch script of `sluice slurm train` (Cluster/SlurmTrainScript.swift), written out in full for
// both launchers; the job itself runs in SluiceCLITests/SlurmTrainTests.swift.
import Foundation
import SluiceCore
import Testing

@Suite struct SlurmTrainScriptTests {
    func job(_ launcher: MPILauncher) -> SlurmTrainScript {
        var s = SlurmSettings()
        s.cpusPerTask = 2
        s.time = "1:00:00"
        s.extraArguments = ["--chdir=/work", "--account=lm"]
        return SlurmTrainScript(
            nodes: 2, tasksPerNode: 4, settings: s, launcher: launcher,
            command: ["/opt/sluice", "train", "/work/run.yaml", "--out", "/work/runs/a", "--set", "data.train=[x, y]"],
            outputDirectory: "/work/runs/a")
    }

    @Test func srunScript() {
        let j = job(.srun)
        #expect(j.ranks == 8)
        #expect(j.scriptPath == "/work/runs/a/_slurm/train.sbatch")
        #expect(
            j.script == """
                #!/usr/bin/env bash
                # sluice-train-ranks: 8
                #SBATCH --job-name=sluice-train
                #SBATCH --nodes=2
                #SBATCH --ntasks-per-node=4
                #SBATCH --output=/work/runs/a/_slurm/logs/train-%j.log
                #SBATCH --time=1:00:00
                #SBATCH --cpus-per-task=2
                #SBATCH --chdir=/work
                #SBATCH --account=lm
                set -euo pipefail
                exec srun --mpi=pmix --kill-on-bad-exit=1 /opt/sluice train /work/run.yaml --out /work/runs/a --set 'data.train=[x, y]'

                """)
    }

    @Test func mpirunScript() {
        let lines = job(.mpirun).script.split(separator: "\n").suffix(2)
        #expect(
            Array(lines) == [
                "if [ \"$(id -u)\" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi",
                "exec mpirun -np \"$SLURM_NTASKS\" --bind-to none /opt/sluice train /work/run.yaml --out /work/runs/a --set 'data.train=[x, y]'",
            ])
    }

    /// sbatch's own line parser ends a value at a space and reads `#` as a comment: such values are quoted.
    @Test func spacesQuotesAndHashesInSBATCHValuesAreEscaped() throws {
        var s = SlurmSettings()
        s.jobName = ##"run "#1\"##
        let j = SlurmTrainScript(
            nodes: 1, tasksPerNode: 2, settings: s, launcher: .srun, command: ["sluice", "train", "a.yaml"],
            outputDirectory: "/work/My Runs/it's")
        let lines = j.script.split(separator: "\n").map(String.init)
        #expect(lines.contains(##"#SBATCH --job-name="run \"#1\\-train""##))
        #expect(lines.contains(##"#SBATCH --output="/work/My Runs/it's/_slurm/logs/train-%j.log""##))
        var broken = s
        broken.jobName = "a\nb"
        let error = #expect(throws: SluiceError.self) {
            _ = try SlurmTrainScript(
                nodes: 1, tasksPerNode: 1, settings: broken, launcher: .srun, command: ["x"],
                outputDirectory: "/tmp/none"
            ).submit(dryRun: true)
        }
        #expect(error?.message.contains("line break") == true)
    }

    @Test func mpirunMissingIsNamedBeforeSubmitting() {
        let error = #expect(throws: SluiceError.self) {
            try job(.mpirun).checkLauncher(environment: ["PATH": "/nonexistent"])
        }
        #expect(error?.message.hasPrefix("mpirun is not on PATH: install OpenMPI") == true)
    }
}
