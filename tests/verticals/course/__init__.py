"""Course enrollments: access that follows the money."""
