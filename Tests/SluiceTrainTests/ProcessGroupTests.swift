// ProcessGroup: which launcher started us, from its environment (runs under mpirun are
// end-to-end tests, SluiceCLITests/MPITrainTests.swift).
import Foundation
import SluiceCore
import Testing

@testable import SluiceTrain

@Suite struct ProcessGroupTests {
    @Test func launchersAreRecognisedFromTheirEnvironment() throws {
        #expect(try ProcessGroup.launcher(in: [:]) == nil)
        #expect(
            try ProcessGroup.launcher(in: ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "1"])
                == "OMPI_COMM_WORLD_SIZE")
        #expect(try ProcessGroup.launcher(in: ["PMIX_RANK": "0", "SLURM_STEP_NUM_TASKS": "2"]) == "PMIX_RANK")
        let pmi2 = #expect(throws: SluiceError.self) {
            try ProcessGroup.launcher(in: ["PMI_RANK": "3", "SLURM_STEP_NUM_TASKS": "2"])
        }
        #expect(pmi2?.message.hasPrefix("started through PMI-2") == true)
        // A batch script, or srun with one task: a single process.
        #expect(try ProcessGroup.launcher(in: ["SLURM_NTASKS": "4", "SLURM_JOB_ID": "7"]) == nil)
        #expect(try ProcessGroup.launcher(in: ["SLURM_STEP_NUM_TASKS": "1"]) == nil)
        let error = #expect(throws: SluiceError.self) { try ProcessGroup.launcher(in: ["SLURM_STEP_NUM_TASKS": "4"]) }
        #expect(error?.message.contains("srun started 4 tasks but no MPI process manager") == true)
        #expect(error?.message.contains("srun --mpi=pmix") == true)
    }
}
