// OpenMPI (Debian's libopenmpi-dev) for Sluice's data-parallel training. MPI_COMM_WORLD, MPI_SUM,
// MPI_FLOAT, MPI_IN_PLACE and friends are macros over addresses of library globals, which Swift
// cannot import, so every call Sluice makes gets a typed inline wrapper here.
#include <mpi.h>
#include <stdint.h>

static inline int sluice_mpi_initialized(void) {
    int flag = 0;
    MPI_Initialized(&flag);
    return flag;
}
static inline int sluice_mpi_finalized(void) {
    int flag = 0;
    MPI_Finalized(&flag);
    return flag;
}
/// MPI_Init_thread at MPI_THREAD_SERIALIZED: only one thread calls MPI at a time, not always the same.
static inline int sluice_mpi_init(int *provided) { return MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided); }
static inline int sluice_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int sluice_mpi_finalize(void) { return MPI_Finalize(); }
static inline int sluice_mpi_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static inline int sluice_mpi_success(void) { return MPI_SUCCESS; }
static inline int sluice_mpi_rank(int *rank) { return MPI_Comm_rank(MPI_COMM_WORLD, rank); }
static inline int sluice_mpi_size(int *size) { return MPI_Comm_size(MPI_COMM_WORLD, size); }
static inline int sluice_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
/// Errors return codes instead of aborting the job, so Sluice can print them on one line.
static inline int sluice_mpi_errors_return(void) { return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN); }
static inline void sluice_mpi_error_string(int code, char *out, int *length) { MPI_Error_string(code, out, length); }
static inline int sluice_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int sluice_mpi_version(char *out, int *length) { return MPI_Get_library_version(out, length); }
static inline int sluice_mpi_max_library_version_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }

// MARK: - Collectives

/// Starts an in-place sum of `count` floats over all ranks; `request` completes it.
static inline int sluice_mpi_iallreduce_sum_float(float *buffer, int count, MPI_Request *request) {
    return MPI_Iallreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, request);
}
static inline int sluice_mpi_allreduce_sum_float(float *buffer, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
static inline int sluice_mpi_allreduce_sum_double(double *buffer, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
static inline int sluice_mpi_allreduce_max_int64(int64_t *buffer, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
}
static inline int sluice_mpi_allgather_uint64(uint64_t value, uint64_t *all) {
    return MPI_Allgather(&value, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD);
}
static inline int sluice_mpi_bcast_bytes(void *buffer, int count, int root) {
    return MPI_Bcast(buffer, count, MPI_BYTE, root, MPI_COMM_WORLD);
}
static inline int sluice_mpi_bcast_float(float *buffer, int count, int root) {
    return MPI_Bcast(buffer, count, MPI_FLOAT, root, MPI_COMM_WORLD);
}
static inline int sluice_mpi_waitall(int count, MPI_Request *requests) {
    return MPI_Waitall(count, requests, MPI_STATUSES_IGNORE);
}
/// Lets the library move outstanding requests on (OpenMPI progresses only inside MPI calls).
static inline int sluice_mpi_testall(int count, MPI_Request *requests, int *done) {
    return MPI_Testall(count, requests, done, MPI_STATUSES_IGNORE);
}
