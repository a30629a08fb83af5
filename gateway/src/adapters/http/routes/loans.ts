// Loans as the chain sees them (folded from stored chain events): list and detail.
import { Type } from 'typebox';
import { notFound } from '../errors.js';
import { LoanDetailSchema, LoanSchema } from '../schemas.js';
import { responses, type RouteContext, type TypedApp } from './common.js';

export function loanRoutes(app: TypedApp, context: RouteContext): void {
  app.get(
    '/loans',
    {
      config: { access: 'read' },
      schema: {
        tags: ['loans'],
        summary: 'Loans on this warehouse',
        response: responses(Type.Array(LoanSchema)),
      },
    },
    async () => context.data.loans(),
  );
  app.get(
    '/loans/:loanId',
    {
      config: { access: 'read' },
      schema: {
        tags: ['loans'],
        summary: 'One loan with its LTV history and events',
        params: Type.Object({ loanId: Type.String({ pattern: '^[0-9]{1,78}$' }) }),
        response: responses(LoanDetailSchema),
      },
    },
    async (request) => {
      const loan = context.data.loan(BigInt(request.params.loanId).toString());
      if (!loan) throw notFound(`loan ${request.params.loanId}`);
      return loan;
    },
  );
}
