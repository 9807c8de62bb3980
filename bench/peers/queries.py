"""The one logical query, written for each system: the newest 100 bookings of the tenant with
customer, policy, schedule (with the open link per installment), payment requests, payments,
refunds, the first 5 timeline events and the vertical's own fields."""

PAYABLE = """{ bookings(first: 100) { totalCount edges { node {
  id kind reference status paymentStatus createdAt
  price { amount currency } amountPaid { amount } balanceDue { amount }
  customer { id externalRef }
  policy { id code version freeCancellationHours }
  schedule { id sequence label amountDue { amount } amountPaid { amount } dueDate status
             activePaymentRequest { id } }
  paymentRequests { id amount { amount } status expiresAt }
  payments { id amount { amount } verifiedAt verifiedBy }
  refunds { id amount { amount } status }
  timeline(first: 5) { edges { node { sequence type actor occurredAt } } }
  ... on ClinicAppointment { specialistId slotStart slotEnd }
  ... on CourseEnrollment { courseId periodStart periodEnd accessStatus }
  ... on TourBooking { tourDate packageId participantCount }
} } } }"""

# PostGraphile 4 reads the same tables through their foreign keys. It has no computed fields,
# so balanceDue and the installment status are left to its client, and an installment's open
# link is its PENDING payment request (seeded links stay open for a week).
POSTGRAPHILE = """query($tenant: UUID!) {
 allBookings(first: 100, orderBy: [CREATED_AT_DESC, ID_DESC], condition: {tenantId: $tenant}) {
  totalCount nodes {
  id kind reference status paymentStatus createdAt price currency amountPaid
  customer: customerByTenantIdAndCustomerId { id externalRef }
  policy: cancellationPolicyVersionByTenantIdAndPolicyVersionId {
    id version freeCancellationHours cancellationPolicyByTenantIdAndPolicyId { code } }
  schedule: installmentsByBookingIdAndCurrency(orderBy: SEQUENCE_ASC) { nodes {
    id sequence label amountDue amountPaid dueDate graceDays
    open: paymentRequestsByInstallmentIdAndBookingId(condition: {status: "PENDING"}) {
      nodes { id } } } }
  paymentRequests: paymentRequestsByTenantIdAndBookingId(orderBy: [CREATED_AT_ASC, ID_ASC]) {
    nodes { id amount status expiresAt } }
  payments: paymentsByTenantIdAndBookingId(orderBy: [VERIFIED_AT_ASC, ID_ASC]) {
    nodes { id amount verifiedAt verifiedBy } }
  refunds: refundsByTenantIdAndBookingId(orderBy: [CREATED_AT_ASC, ID_ASC]) {
    nodes { id amount status } }
  timeline: bookingEventsByTenantIdAndBookingId(first: 5, orderBy: SEQUENCE_ASC) {
    nodes { sequence type actor occurredAt } }
  clinic: clinicAppointmentByBookingId { specialistId slotStart slotEnd }
  course: courseEnrollmentByBookingId { courseId periodStart periodEnd accessStatus }
  tour: tourBookingByBookingId { tourDate packageId participantCount }
} } }"""
